package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.assertViolation;
import static dev.prism.server.ServerTestSupport.doubles;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.rpc.BadRequest;
import dev.prism.api.v1.Baseline;
import dev.prism.api.v1.DataType;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.ExplicitGroups;
import dev.prism.api.v1.FeatureGroup;
import dev.prism.api.v1.FeatureGroups;
import dev.prism.api.v1.GetModelRequest;
import dev.prism.api.v1.GridPatches;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.LimeParams;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.api.v1.Neighbourhood;
import dev.prism.api.v1.PredictRequest;
import dev.prism.api.v1.Tensor;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input over TCP, as a client sees it: numbers that break the arithmetic (a kernel width whose
 * square underflows, an image whose pixel count overflows an int, values past float32) and
 * client strings too long to echo. Each gets INVALID_ARGUMENT or NOT_FOUND with its reason and
 * field, never INTERNAL, never an OK answer full of NaN, and never a status too large for the
 * client's default 8 KiB metadata limit.
 */
class BadInputStatusTest {
    private static final double[] SETOSA = {5.1, 3.5, 1.4, 0.2};

    @TempDir
    static Path dir;
    static PrismServer server;
    static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        server = PrismServer.start(ServerOptions.defaults(ServerTestSupport.repository(dir, "iris", "digits",
                "text_bag")).withPorts(0, -1));
        // The client's metadata limit left at gRPC's default, 8 KiB, as every client has it.
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        server.close();
    }

    private static ExplainServiceGrpc.ExplainServiceBlockingStub explain() {
        return ExplainServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    private static ModelServiceGrpc.ModelServiceBlockingStub models() {
        return ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    private static ExplainRequest.Builder iris() {
        return ExplainRequest.newBuilder().setModel("iris").addInputs(floats(1, SETOSA)).setSeed(3);
    }

    /** An 8×8 image of grey levels 0 to 15, [1, 1, 8, 8], masked by 2×2 patches of a constant 0. */
    private static ExplainRequest.Builder digitPatches() {
        double[] pixels = new double[64];
        for (int i = 0; i < 64; i++) {
            pixels[i] = i % 16;
        }
        return ExplainRequest.newBuilder().setModel("digits").addInputs(doubles(new long[] {1, 1, 8, 8}, pixels))
                .setBaseline(Baseline.newBuilder().setConstant(0))
                .setFeatureGroups(FeatureGroups.newBuilder().setGrid(GridPatches.newBuilder()
                        .setPatchHeight(2).setPatchWidth(2)));
    }

    private static void assertInvalid(Runnable call, String reason, String field) {
        StatusRuntimeException e = failure(call);
        assertStatus(e, Status.Code.INVALID_ARGUMENT, reason);
        assertViolation(e, field);
    }

    // ---- numbers ----

    @Test
    void kernelWidthsUnderWhichNoSampleWeighsAnythingAreRefused() {
        for (double width : new double[] {1e-200, Double.MIN_VALUE}) {
            assertInvalid(() -> explain().explain(iris().setLime(LimeParams.newBuilder().setKernelWidth(width)
                    .setNumSamples(200)).build()), "INVALID_PARAMS", "lime.kernel_width");
            assertInvalid(() -> explain().explain(digitPatches().setLime(LimeParams.newBuilder()
                    .setKernelWidth(width).setNumSamples(200)).build()), "INVALID_PARAMS", "lime.kernel_width");
        }
    }

    @Test
    void aKernelWiderThanEveryDistanceWeighsEverySampleAlike() {
        ExplainResponse r = explain().explain(iris().setLime(LimeParams.newBuilder().setKernelWidth(1e300)
                .setNumSamples(500)).build());
        assertEquals(3, r.getExplanationsCount());
        for (Explanation e : r.getExplanationsList()) {
            assertTrue(e.getAttributionsList().stream().allMatch(Double::isFinite), e.toString());
            double r2 = e.getDiagnostics().getSurrogate().getScore();
            assertTrue(r2 >= 0 && r2 <= 1, "weighted R^2 " + r2);
        }
    }

    @Test
    void anImageWhosePixelCountIsAMultipleOf2To32IsRefused() {
        // 65536 × 65536 = 2^32 was 0 as an int: a division by zero.
        assertInvalid(() -> explain().explain(digitPatches().setFeatureGroups(FeatureGroups.newBuilder()
                .setGrid(GridPatches.newBuilder().setImageHeight(65536).setImageWidth(65536)
                        .setPatchHeight(8).setPatchWidth(8))).build()), "INVALID_PARAMS", "feature_groups.grid.image_height");
    }

    @Test
    void anImageWhosePixelCountWrapsToADivisorIsRefused() {
        // (2^31 − 1)² wraps to 1 and 64 × (2^26 + 1) to 64 as ints: both "divided" the 64 elements, and
        // enumerating their 2^32 and more pixels would never end.
        for (int[] hw : new int[][] {{Integer.MAX_VALUE, Integer.MAX_VALUE}, {64, (1 << 26) + 1}}) {
            assertInvalid(() -> explain().explain(digitPatches().setFeatureGroups(FeatureGroups.newBuilder()
                    .setGrid(GridPatches.newBuilder().setImageHeight(hw[0]).setImageWidth(hw[1])
                            .setPatchHeight(8).setPatchWidth(8))).build()), "INVALID_PARAMS",
                    "feature_groups.grid.image_height");
        }
        // A patch larger than the image is the whole image.
        ExplainResponse whole = explain().explain(digitPatches().setFeatureGroups(FeatureGroups.newBuilder()
                .setGrid(GridPatches.newBuilder().setPatchHeight(Integer.MAX_VALUE).setPatchWidth(Integer.MAX_VALUE)))
                .build());
        assertEquals(List.of("patch_0_0"), whole.getFeatureNamesList());
    }

    @Test
    void valuesBeyondFloat32AreRefusedInTheModelsType() {
        double[] big = {1e39, 3.5, 1.4, 0.2};
        String description = assertViolationOf(() -> explain().explain(iris().setInputs(0,
                doubles(new long[] {1, 4}, big)).build()), "INVALID_TENSOR", "inputs[0]");
        assertEquals("value 0 is 1.0E39, beyond the range of FLOAT32 input 'input'", description);
        ByteBuffer raw = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : big) {
            raw.putDouble(v);
        }
        assertInvalid(() -> explain().explain(iris().setInputs(0, Tensor.newBuilder().addShape(1).addShape(4)
                .setDtype(DataType.DATA_TYPE_FLOAT64).setRawData(ByteString.copyFrom(raw.array()))).build()),
                "INVALID_TENSOR", "inputs[0]");
        assertInvalid(() -> explain().explain(iris().setBaseline(Baseline.newBuilder().setConstant(1e300))
                .setKernelShap(KernelShapParams.getDefaultInstance()).build()), "INVALID_PARAMS", "baseline.constant");
        assertInvalid(() -> explain().explain(iris().setBaseline(Baseline.newBuilder()
                .setValues(doubles(new long[] {4}, big))).build()), "INVALID_TENSOR", "baseline.values");
        assertInvalid(() -> explain().explain(iris().setBackground(doubles(new long[] {2, 4},
                5.1, 3.5, 1.4, 0.2, 1e39, 3.5, 1.4, 0.2)).build()), "INVALID_TENSOR", "background");
        Neighbourhood neighbourhood = Neighbourhood.newBuilder()
                .setData(doubles(new long[] {2, 4}, 1, 1, 1, 1, 0, 1, 1, 1))
                .setInputs(doubles(new long[] {2, 4}, 5.1, 3.5, 1.4, 0.2, 1e39, 3.5, 1.4, 0.2)).build();
        assertInvalid(() -> explain().explain(iris().setLime(LimeParams.newBuilder().setNeighbourhood(neighbourhood))
                .build()), "INVALID_TENSOR", "lime.neighbourhood.inputs[0]");
        assertInvalid(() -> models().predict(PredictRequest.newBuilder().setModel("iris")
                .addInputs(doubles(new long[] {1, 4}, big)).build()), "INVALID_TENSOR", "inputs[0]");
        // A double that rounds to the largest float is a float.
        assertEquals(1, models().predict(PredictRequest.newBuilder().setModel("iris")
                .addInputs(doubles(new long[] {1, 4}, Math.nextDown(Float.MAX_VALUE + 0x1p103), 3.5, 1.4, 0.2))
                .build()).getOutputsCount());
    }

    @Test
    void valuesBeyondInt64AreRefusedForAnIntegerInput() {
        double[] tokens = {1e19, 1, 2, 3, 4, 5, 6, 7};
        String description = assertViolationOf(() -> models().predict(PredictRequest.newBuilder().setModel("text_bag")
                .addInputs(doubles(new long[] {1, 8}, tokens)).build()), "INVALID_TENSOR", "inputs[0]");
        assertEquals("value 0 is 1.0E19, beyond the range of INT64 input 'tokens'", description);
    }

    private static String assertViolationOf(Runnable call, String reason, String field) {
        StatusRuntimeException e = failure(call);
        assertStatus(e, Status.Code.INVALID_ARGUMENT, reason);
        return assertViolation(e, field);
    }

    // ---- long client strings ----

    @Test
    void aTwelveKilobyteModelNameIsNotFound() {
        String name = "m".repeat(12_288);
        for (Runnable call : List.<Runnable>of(
                () -> explain().explain(ExplainRequest.newBuilder().setModel(name).addInputs(floats(1, SETOSA)).build()),
                () -> models().getModel(GetModelRequest.newBuilder().setName(name).build()),
                () -> models().predict(PredictRequest.newBuilder().setModel(name).addInputs(floats(1, SETOSA)).build()))) {
            StatusRuntimeException e = failure(call);
            assertStatus(e, Status.Code.NOT_FOUND, "MODEL_NOT_FOUND");
            assertTrue(e.getStatus().getDescription().startsWith("no model '" + "m".repeat(64)
                    + "…' (+12224 characters); served models: ["), e.getStatus().getDescription());
        }
    }

    @Test
    void fiveThousandUnknownOutputsAreListedInPart() {
        ExplainRequest.Builder request = iris();
        for (int i = 0; i < 5000; i++) {
            request.addOutputs("unknown output " + i + " " + "o".repeat(200));
        }
        StatusRuntimeException e = failure(() -> explain().explain(request.build()));
        assertStatus(e, Status.Code.INVALID_ARGUMENT, "UNKNOWN_OUTPUT");
        assertTrue(e.getStatus().getDescription().startsWith("5000 invalid fields; first outputs[0]: the model has no"
                + " output 'unknown output 0 ooo"), e.getStatus().getDescription());
        BadRequest bad = ServerTestSupport.detail(e, BadRequest.class).orElseThrow();
        int listed = bad.getFieldViolationsCount() - 1;
        assertTrue(listed >= 1 && listed <= StatusMapper.MAX_VIOLATIONS, listed + " listed");
        for (int i = 0; i < listed; i++) {
            assertEquals("outputs[" + i + "]", bad.getFieldViolations(i).getField());
            assertTrue(bad.getFieldViolations(i).getDescription().startsWith("the model has no output 'unknown output "
                    + i + " ooo"), bad.getFieldViolations(i).getDescription());
        }
        assertEquals((5000 - listed) + " more violations are not listed",
                bad.getFieldViolations(listed).getDescription());
    }

    @Test
    void longNamesOfTensorsAndGroupsAreCutInTheirViolations() {
        String name = "t".repeat(12_288);
        String tensor = assertViolationOf(() -> explain().explain(iris().setInputs(0,
                floats(1, SETOSA).toBuilder().setName(name)).build()), "INVALID_TENSOR", "inputs[0].name");
        assertTrue(tensor.startsWith("the model has no input '" + "t".repeat(64) + "…' (+12224 characters)"), tensor);

        List<FeatureGroup> groups = new ArrayList<>();
        groups.add(FeatureGroup.newBuilder().setName(name).addElements(0).addElements(1).build());
        groups.add(FeatureGroup.newBuilder().setName(name).build());
        String group = assertViolationOf(() -> explain().explain(iris().setFeatureGroups(FeatureGroups.newBuilder()
                .setExplicit(ExplicitGroups.newBuilder().addAllGroups(groups))).build()),
                "INVALID_PARAMS", "feature_groups.explicit.groups");
        assertEquals("group 1 ('" + "t".repeat(64) + "…' (+12224 characters)) has no elements", group);
    }
}
