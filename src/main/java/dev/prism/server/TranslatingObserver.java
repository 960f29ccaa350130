package dev.prism.server;

import io.grpc.stub.ServerCallStreamObserver;
import java.util.function.Function;

/**
 * A call's answer observer seen as another message type's: what a service written for one API
 * sends is translated into the call's own messages, while readiness, cancellation and flow control
 * are the call's. It lets a protocol adapter run a Prism RPC unchanged (its admission, its answer
 * channel) on another protocol's call.
 *
 * @param <A> what the Prism service sends
 * @param <B> what the call answers with
 */
final class TranslatingObserver<A, B> extends ServerCallStreamObserver<A> {
    private final ServerCallStreamObserver<B> call;
    private final Function<A, B> translate;

    TranslatingObserver(ServerCallStreamObserver<B> call, Function<A, B> translate) {
        this.call = call;
        this.translate = translate;
    }

    @Override
    public void onNext(A value) {
        call.onNext(translate.apply(value));
    }

    @Override
    public void onError(Throwable t) {
        call.onError(t);
    }

    @Override
    public void onCompleted() {
        call.onCompleted();
    }

    @Override
    public boolean isCancelled() {
        return call.isCancelled();
    }

    @Override
    public void setOnCancelHandler(Runnable onCancelHandler) {
        call.setOnCancelHandler(onCancelHandler);
    }

    @Override
    public void setOnCloseHandler(Runnable onCloseHandler) {
        call.setOnCloseHandler(onCloseHandler);
    }

    @Override
    public void setCompression(String compression) {
        call.setCompression(compression);
    }

    @Override
    public boolean isReady() {
        return call.isReady();
    }

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {
        call.setOnReadyHandler(onReadyHandler);
    }

    @Override
    public void disableAutoInboundFlowControl() {
        call.disableAutoInboundFlowControl();
    }

    @Override
    public void request(int count) {
        call.request(count);
    }

    @Override
    public void setMessageCompression(boolean enable) {
        call.setMessageCompression(enable);
    }

    @Override
    public void disableAutoRequest() {
        call.disableAutoRequest();
    }
}
