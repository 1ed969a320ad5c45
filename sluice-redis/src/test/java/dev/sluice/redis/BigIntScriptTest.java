package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BinaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Checks the Lua integer library against {@link BigInteger}, on operands of every size from
 * one digit to 40 (beyond the 2^124 that the scripts need), of both signs, and on the edges of
 * the base-10^7 limbs.
 */
class BigIntScriptTest {

  private static final int PAIRS = 1_500;
  private static final BigInteger LIMB = BigInteger.TEN.pow(7);
  // Values below 2^53 are Lua numbers and larger ones limbs, so operands cluster around it.
  private static final BigInteger EXACT = BigInteger.ONE.shiftLeft(53);

  @RegisterExtension
  static final StandaloneRedis REDIS = new StandaloneRedis();
  private static String sha;

  @BeforeAll
  static void loadScript() {
    String script = DecisionScript.read("bigint.lua") + "\n"
        + DecisionScript.read("bigint_harness.lua");
    sha = REDIS.commands().scriptLoad(script);
  }

  @Test
  void add_randomOperands_matchesBigInteger() {
    assertOperation("add", BigInteger::add, operands(false));
  }

  @Test
  void sub_randomOperands_matchesBigInteger() {
    assertOperation("sub", BigInteger::subtract, operands(false));
  }

  @Test
  void mul_randomOperands_matchesBigInteger() {
    assertOperation("mul", BigInteger::multiply, operands(false));
  }

  @Test
  void cmp_randomOperands_matchesBigInteger() {
    assertOperation("cmp", (a, b) -> BigInteger.valueOf(a.compareTo(b)), operands(false));
  }

  @Test
  void divmod_randomOperands_matchesFloorDivision() {
    List<BigInteger[]> pairs = operands(true);
    List<String> expected = new ArrayList<>();
    for (BigInteger[] pair : pairs) {
      BigInteger remainder = pair[0].mod(pair[1]);
      BigInteger quotient = pair[0].subtract(remainder).divide(pair[1]);
      expected.add(quotient + " " + remainder);
    }
    assertThat(run("divmod", pairs)).isEqualTo(expected);
  }

  @Test
  void mod_randomOperands_matchesBigInteger() {
    List<BigInteger[]> pairs = operands(true);
    pairs.add(new BigInteger[] {new BigInteger("1764867600123456789"), BigInteger.TEN.pow(9)});
    pairs.add(new BigInteger[] {new BigInteger("1764867600123456789"), EXACT.shiftRight(4)});
    assertOperation("mod", BigInteger::mod, pairs);
  }

  @Test
  void roundtrip_zerosAndLeadingZeros_formatsCanonically() {
    List<String> results = runRaw("roundtrip",
        List.of("0", "0", "-0", "0", "0000000", "0", "00000001", "0", "10000000", "0",
            "-9999999", "0", "123456789012345678901234567890", "0"));
    assertThat(results).containsExactly("0", "0", "0", "1", "10000000",
        "-9999999", "123456789012345678901234567890");
  }

  @Test
  void parse_notDecimal_raisesError() {
    assertThatThrownBy(() -> runRaw("add", List.of("1e5", "1")))
        .hasMessageContaining("invalid integer, expected decimal digits: 1e5");
  }

  @Test
  void divmod_zeroDivisor_raisesError() {
    assertThatThrownBy(() -> runRaw("divmod", List.of("5", "0")))
        .hasMessageContaining("divisor must be positive, got 0");
  }

  private static void assertOperation(
      String operation, BinaryOperator<BigInteger> reference, List<BigInteger[]> pairs) {
    List<String> expected = new ArrayList<>();
    for (BigInteger[] pair : pairs) {
      expected.add(reference.apply(pair[0], pair[1]).toString());
    }
    assertThat(run(operation, pairs)).isEqualTo(expected);
  }

  private static List<String> run(String operation, List<BigInteger[]> pairs) {
    List<String> args = new ArrayList<>();
    for (BigInteger[] pair : pairs) {
      args.add(pair[0].toString());
      args.add(pair[1].toString());
    }
    return runRaw(operation, args);
  }

  private static List<String> runRaw(String operation, List<String> operands) {
    RedisCommands<String, String> commands = REDIS.commands();
    List<String> args = new ArrayList<>();
    args.add(operation);
    args.addAll(operands);
    return commands.evalsha(sha, ScriptOutputType.MULTI, new String[0],
        args.toArray(new String[0]));
  }

  /** Returns random pairs; with a positive second operand when it is to be a divisor. */
  private static List<BigInteger[]> operands(boolean positiveDivisor) {
    Random random = new Random(20261204L);
    List<BigInteger[]> pairs = new ArrayList<>();
    for (int i = 0; i < PAIRS; i++) {
      BigInteger a = operand(random, true);
      BigInteger b = operand(random, !positiveDivisor);
      if (positiveDivisor) {
        b = b.abs().max(BigInteger.ONE);
      }
      pairs.add(new BigInteger[] {a, b});
    }
    pairs.add(new BigInteger[] {LIMB.pow(3), LIMB.pow(2).subtract(BigInteger.ONE)});
    pairs.add(new BigInteger[] {LIMB.pow(5).subtract(BigInteger.ONE), LIMB.pow(2)});
    pairs.add(new BigInteger[] {BigInteger.ONE.shiftLeft(124), BigInteger.ONE.shiftLeft(61)});
    return pairs;
  }

  /** A random integer: mixed sizes, limb-edge values, or a product of two such. */
  private static BigInteger operand(Random random, boolean signed) {
    BigInteger value = switch (random.nextInt(5)) {
      case 0 -> new BigInteger(1 + random.nextInt(130), random);
      case 1 -> LIMB.pow(random.nextInt(6)).add(BigInteger.valueOf(random.nextInt(3) - 1));
      case 2 -> BigInteger.valueOf(random.nextInt(20));
      case 3 -> EXACT.shiftRight(random.nextInt(30)).add(BigInteger.valueOf(random.nextInt(5) - 2));
      default -> new BigInteger(64, random).multiply(new BigInteger(1 + random.nextInt(64),
          random));
    };
    value = value.abs();
    return signed && random.nextBoolean() ? value.negate() : value;
  }
}
