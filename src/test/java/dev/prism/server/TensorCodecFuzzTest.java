package dev.prism.server;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.prism.api.v1.Tensor;
import dev.prism.error.FieldViolation;
import dev.prism.error.PrismException;
import dev.prism.tensor.DType;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Tensor decoding under arbitrary bytes, for float, integer and image-shaped inputs: a tensor is
 * decoded into exactly rows × width finite values, or refused with field violations.
 *
 * <p>Seeds: {@code src/test/resources/dev/prism/server/TensorCodecFuzzTestInputs/}.
 */
class TensorCodecFuzzTest {
    private static final List<TensorSpec> INPUTS = List.of(
            new TensorSpec("x", DType.FLOAT32, new long[] {-1, 4}),
            new TensorSpec("ids", DType.INT64, new long[] {-1, 3, 2}),
            new TensorSpec("image", DType.FLOAT64, new long[] {-1, 1, 8, 8}));

    @FuzzTest
    void everyTensorIsDecodedOrRefusedWithViolations(byte[] bytes) {
        Tensor tensor;
        try {
            tensor = Tensor.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            return;
        }
        for (TensorSpec input : INPUTS) {
            for (boolean missing : new boolean[] {false, true}) {
                List<FieldViolation> violations = new ArrayList<>();
                RowBlock rows = TensorCodec.decode(tensor, input, missing, "inputs[0]", violations);
                if ((rows == null) == violations.isEmpty()) {
                    throw new AssertionError("decode returned " + rows + " with violations " + violations);
                }
                if (rows != null && (rows.width() != input.instanceSize() || rows.rows() != tensor.getShape(0))) {
                    throw new AssertionError("decoded " + rows.rows() + " x " + rows.width() + " from shape "
                            + tensor.getShapeList() + " for " + input);
                }
                for (int i = 0; rows != null && i < rows.rows(); i++) {
                    for (double v : rows.row(i)) {
                        if (Double.isInfinite(v) || (Double.isNaN(v) && !(missing && input.dtype().isFloating()))) {
                            throw new AssertionError("decoded " + v + " for " + input + ", missing " + missing);
                        }
                    }
                }
            }
        }
        try {
            TensorCodec.matrix(tensor, -1, "background");
        } catch (PrismException expected) {
            // Refused with field violations: the property holds.
        }
    }
}
