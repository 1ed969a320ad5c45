package dev.sluice.bench.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * {@code POST /v1/check} on a plain Netty 4.2 pipeline (NIO transport, HTTP codec, aggregator),
 * with Netty's default number of event loops, deciding on the event loop itself because an
 * in-memory decision does not block.
 *
 * <p>Run: {@code java -cp sluice-bench/target/benchmarks.jar
 * dev.sluice.bench.http.NettyCheckServer [port] [seconds]}.
 */
public final class NettyCheckServer {

  private static final int MAX_BODY_BYTES = 4_096;

  private NettyCheckServer() {}

  public static void main(String[] args) throws InterruptedException {
    ServerArguments arguments = ServerArguments.parse(args);
    CheckEndpoint endpoint = new CheckEndpoint();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    try {
      Channel channel = new ServerBootstrap()
          .group(group)
          .channel(NioServerSocketChannel.class)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel child) {
              child.pipeline().addLast(new HttpServerCodec(),
                  new HttpObjectAggregator(MAX_BODY_BYTES), new CheckHandler(endpoint));
            }
          })
          .bind("127.0.0.1", arguments.port()).sync().channel();
      System.out.println("netty listening on 127.0.0.1:" + arguments.port()
          + " for " + arguments.seconds() + " s");
      Thread.sleep(arguments.seconds() * 1_000);
      channel.close().sync();
    } finally {
      group.shutdownGracefully().sync();
    }
  }

  /** Sends the endpoint's reply to {@code POST /v1/check}, and 404 to anything else. */
  private static final class CheckHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final CheckEndpoint endpoint;

    CheckHandler(CheckEndpoint endpoint) {
      this.endpoint = endpoint;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext context, FullHttpRequest request) {
      CheckEndpoint.Reply reply = isCheck(request)
          ? endpoint.check(ByteBufUtil.getBytes(request.content()))
          : new CheckEndpoint.Reply(404, new byte[0]);
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
          HttpResponseStatus.valueOf(reply.status()), Unpooled.wrappedBuffer(reply.body()));
      response.headers()
          .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
          .setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      HttpUtil.setKeepAlive(response, keepAlive);
      var written = context.writeAndFlush(response);
      if (!keepAlive) {
        written.addListener(ChannelFutureListener.CLOSE);
      }
    }

    private static boolean isCheck(FullHttpRequest request) {
      return HttpMethod.POST.equals(request.method()) && CheckEndpoint.PATH.equals(request.uri());
    }
  }
}
