package dev.prism.http;

import com.google.gson.JsonObject;
import inference.GRPCInferenceServiceGrpc;
import inference.OpenInferenceGrpc.ModelInferResponse;
import inference.OpenInferenceGrpc.ModelMetadataRequest;
import inference.OpenInferenceGrpc.ModelReadyRequest;
import inference.OpenInferenceGrpc.ServerLiveRequest;
import inference.OpenInferenceGrpc.ServerMetadataRequest;
import inference.OpenInferenceGrpc.ServerMetadataResponse;
import inference.OpenInferenceGrpc.ServerReadyRequest;
import io.grpc.Channel;

/**
 * The Open Inference Protocol's REST binding ({@code /v2}), each route a call of Prism's OIP gRPC
 * service: a ModelInfer whose parameters name a method explains, as over gRPC. Readiness answers
 * 200 when ready and 503 when not, with {"ready": false}, so that probes need read no body.
 */
final class OipRest {
    private static final String MODEL = "/v2/models/(?<model>[^/]+)(?:/versions/(?<version>[^/]+))?";

    private final GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub oip;

    OipRest(Channel channel) {
        this.oip = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    }

    void routes(Router router) {
        Exchange.ErrorStyle style = Exchange.ErrorStyle.ERROR_FIELD;
        router.add("GET", "/v2", style, this::server)
                .add("GET", "/v2/health/live", style, e -> {
                    JsonObject o = new JsonObject();
                    o.addProperty("live", e.stub(oip).serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
                    e.send(o);
                })
                .add("GET", "/v2/health/ready", style,
                        e -> ready(e, null, e.stub(oip).serverReady(ServerReadyRequest.getDefaultInstance()).getReady()))
                .add("GET", MODEL, style, e -> e.send(OipJson.metadata(e.stub(oip).modelMetadata(
                        ModelMetadataRequest.newBuilder().setName(e.path("model")).setVersion(e.path("version"))
                                .build()))))
                .add("GET", MODEL + "/ready", style, e -> ready(e, e.path("model"), e.stub(oip).modelReady(
                        ModelReadyRequest.newBuilder().setName(e.path("model")).setVersion(e.path("version")).build())
                        .getReady()))
                .add("POST", MODEL + "/infer", style, e -> {
                    JsonObject body = e.object();
                    ModelInferResponse answer = e.stub(oip).modelInfer(
                            OipJson.request(body, e.path("model"), e.path("version")));
                    e.send(OipJson.response(answer));
                });
    }

    private void server(Exchange e) {
        ServerMetadataResponse m = e.stub(oip).serverMetadata(ServerMetadataRequest.getDefaultInstance());
        JsonObject o = new JsonObject();
        o.addProperty("name", m.getName());
        o.addProperty("version", m.getVersion());
        com.google.gson.JsonArray extensions = new com.google.gson.JsonArray();
        m.getExtensionsList().forEach(extensions::add);
        o.add("extensions", extensions);
        e.send(o);
    }

    private static void ready(Exchange e, String model, boolean ready) {
        JsonObject o = new JsonObject();
        if (model != null) {
            o.addProperty("name", model);
        }
        o.addProperty("ready", ready);
        e.send(ready ? 200 : 503, GatewayJson.GSON.toJson(o));
    }
}
