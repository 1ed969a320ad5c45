#!/bin/sh
# Writes a large access log for measuring `sluice replay`: the example log repeated COPIES
# times, each copy's dates moved SHIFT_DAYS days later than the copy before, so that copies
# follow each other in time. Every line of the source is kept as it is, malformed ones too,
# apart from the date inside its [dd/Mon/yyyy:HH:MM:SS zone] timestamp.
#
# Usage: make-big-log.sh [SOURCE] [OUTPUT] [COPIES] [SHIFT_DAYS]
# Defaults: examples/access-2015-05.log /tmp/sluice-access-1m.log 100 4
# (the example log has 10,000 lines over 4 days, so the defaults give 1,000,000 lines
# over 400 days). Needs perl with its core module Time::Local.
set -eu

source_log=${1:-examples/access-2015-05.log}
output=${2:-/tmp/sluice-access-1m.log}
copies=${3:-100}
shift_days=${4:-4}

perl -MTime::Local=timegm -e '
  my ($source, $copies, $shift_days) = @ARGV;
  my %month_number;
  my @month_names = qw(Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec);
  @month_number{@month_names} = (0 .. 11);
  my %shifted;
  for my $copy (0 .. $copies - 1) {
    open(my $in, "<", $source) or die "cannot read $source: $!\n";
    while (my $line = <$in>) {
      $line =~ s{\[(\d\d)/([A-Z][a-z][a-z])/(\d{4}):}{
        my $key = "$1/$2/$3/$copy";
        $shifted{$key} //= do {
          my $noon = timegm(0, 0, 12, $1, $month_number{$2}, $3) + $copy * $shift_days * 86400;
          my @date = gmtime($noon);
          sprintf("[%02d/%s/%04d:", $date[3], $month_names[$date[4]], $date[5] + 1900);
        };
        $shifted{$key};
      }e;
      print $line;
    }
    close($in);
  }
' "$source_log" "$copies" "$shift_days" > "$output"

echo "wrote $(wc -l < "$output") lines to $output"
