package dev.prism.http;

import dev.prism.api.v1.EvaluateRequest;
import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExampleServiceGrpc;
import dev.prism.api.v1.ExplainByExampleRequest;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.GetModelRequest;
import dev.prism.api.v1.ListModelsRequest;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.api.v1.PredictRequest;
import io.grpc.Channel;
import io.grpc.Context;
import java.io.IOException;
import java.util.Iterator;
import org.eclipse.jetty.http.HttpHeader;

/**
 * Prism's own API as JSON under {@code /prism/v1}: the request and response messages in the proto
 * canonical JSON mapping, errors as the google.rpc.Status with its details.
 *
 * <p>{@code GET /prism/v1/models/{m}} takes GetModelRequest's other fields as query parameters.
 * {@code POST /prism/v1/explain:stream} answers Server-Sent Events: {@code event: progress} for
 * every progress event (with the running estimates the method sends), then {@code event: result},
 * each with the ExplainEvent as {@code data}, or {@code event: error} with the Status; the data is
 * one line of canonical JSON. A failure before the first event is an ordinary HTTP error. A client
 * that goes away cancels the gRPC call, which frees the server's work.
 */
final class PrismApi {
    static final String EVENT_STREAM = "text/event-stream";

    private final ModelServiceGrpc.ModelServiceBlockingStub models;
    private final ExplainServiceGrpc.ExplainServiceBlockingStub explanations;
    private final ExampleServiceGrpc.ExampleServiceBlockingStub examples;

    PrismApi(Channel channel) {
        this.models = ModelServiceGrpc.newBlockingStub(channel);
        this.explanations = ExplainServiceGrpc.newBlockingStub(channel);
        this.examples = ExampleServiceGrpc.newBlockingStub(channel);
    }

    void routes(Router router) {
        Exchange.ErrorStyle style = Exchange.ErrorStyle.STATUS;
        router.add("GET", "/prism/v1/models", style,
                        e -> e.send(e.stub(models).listModels(ListModelsRequest.getDefaultInstance())))
                .add("GET", "/prism/v1/models/(?<model>[^/]+)", style,
                        e -> e.send(e.stub(models).getModel(e.query(GetModelRequest.newBuilder())
                                .setName(e.path("model")).build())))
                .add("POST", "/prism/v1/predict", style,
                        e -> e.send(e.stub(models).predict(e.body(PredictRequest.newBuilder()).build())))
                .add("POST", "/prism/v1/explain", style,
                        e -> e.send(e.stub(explanations).explain(e.body(ExplainRequest.newBuilder()).build())))
                .add("POST", "/prism/v1/explain:stream", style, this::stream)
                .add("POST", "/prism/v1/evaluate", style,
                        e -> e.send(e.stub(explanations).evaluate(e.body(EvaluateRequest.newBuilder()).build())))
                .add("POST", "/prism/v1/examples", style, e -> e.send(e.stub(examples)
                        .explainByExample(e.body(ExplainByExampleRequest.newBuilder()).build())));
    }

    /**
     * The events as they come. The call runs in a context of its own, cancelled when a write finds
     * the client gone or Jetty reports the connection failed, which cancels the gRPC call.
     */
    private void stream(Exchange e) throws Exception {
        ExplainRequest request = e.body(ExplainRequest.newBuilder()).build();
        ExplainServiceGrpc.ExplainServiceBlockingStub stub = e.stub(explanations);
        Context.CancellableContext call = Context.current().withCancellation();
        e.request.addFailureListener(call::cancel);
        try {
            call.call(() -> {
                Iterator<ExplainEvent> events = stub.streamExplain(request);
                // The first event decides between an HTTP error and a stream of events.
                ExplainEvent first = events.next();
                e.response.setStatus(200);
                e.response.getHeaders().put(HttpHeader.CONTENT_TYPE, EVENT_STREAM);
                e.response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
                try {
                    send(e, first);
                    while (events.hasNext()) {
                        send(e, events.next());
                    }
                } catch (IOException gone) {
                    call.cancel(gone);
                    throw gone;
                } catch (RuntimeException failed) {
                    e.write("event: error\ndata: " + GatewayJson.print(e.status(failed)) + "\n\n");
                }
                e.end();
                return null;
            });
        } finally {
            call.cancel(null);
        }
    }

    /** The event named for its case, its data the ExplainEvent: {"progress": ...} or {"result": ...}. */
    private static void send(Exchange e, ExplainEvent event) throws IOException {
        e.write("event: " + (event.hasResult() ? "result" : "progress") + "\ndata: " + GatewayJson.print(event)
                + "\n\n");
    }
}
