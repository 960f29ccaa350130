package dev.prism.server;

import dev.prism.api.v1.DataType;
import dev.prism.api.v1.Tensor;
import dev.prism.error.FieldViolation;
import dev.prism.model.Model;
import dev.prism.tensor.DType;
import dev.prism.tensor.LittleEndian;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.TensorSpec;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** Reads request tensors into row blocks for a model input, collecting every violation. */
final class TensorCodec {
    private TensorCodec() {}

    /**
     * Whether NaN is a value of the model's input: a missing value for a tree ensemble, which sends
     * it down each split's missing-value branch as ONNX Runtime does. Any other model's answer to a
     * NaN is NaN, so there it is refused; infinities are refused for every model.
     */
    static boolean takesMissingValues(Model model) {
        return model.trees().isPresent();
    }

    /**
     * Decodes a batch-first tensor for the given input: [rows, instance dims...].
     *
     * @param missing    NaN elements of a floating-point input are missing values
     *                   ({@link #takesMissingValues}) rather than refused
     * @param field      the tensor's path in the request, for violations
     * @param violations where problems are added; null is returned when there are any
     */
    static RowBlock decode(Tensor t, TensorSpec input, boolean missing, String field,
                           List<FieldViolation> violations) {
        int before = violations.size();
        int[] instanceShape = input.instanceShape();
        int width = input.instanceSize();
        List<Long> shape = t.getShapeList();
        if (shape.size() != instanceShape.length + 1) {
            violations.add(new FieldViolation(field + ".shape", "has rank " + shape.size() + ", input '"
                    + input.name() + "' needs [instances" + dims(instanceShape) + "]"));
        } else {
            if (shape.get(0) < 1) {
                violations.add(new FieldViolation(field + ".shape[0]", "instances must be >= 1, got " + shape.get(0)));
            }
            for (int i = 0; i < instanceShape.length; i++) {
                if (shape.get(i + 1) != instanceShape[i]) {
                    violations.add(new FieldViolation(field + ".shape[" + (i + 1) + "]", "is " + shape.get(i + 1)
                            + ", input '" + input.name() + "' needs [instances" + dims(instanceShape) + "]"));
                }
            }
        }
        double[] values = values(t, field, violations);
        if (violations.size() > before) {
            return null;
        }
        long rows = shape.get(0);
        if (!holds(rows, width, values.length)) {
            violations.add(new FieldViolation(field, "shape " + shape + " needs " + product(rows, width)
                    + " values, got " + values.length));
            return null;
        }
        for (int i = 0; i < values.length; i++) {
            boolean isMissing = missing && Double.isNaN(values[i]) && input.dtype().isFloating();
            String unfit = isMissing ? null : unfit(values[i], input);
            if (unfit != null) {
                violations.add(new FieldViolation(field, "value " + i + " " + unfit));
                return null;
            }
        }
        return new RowBlock((int) rows, width, values);
    }

    /**
     * Why a value cannot be one of the input's elements, or null when it can. Values are checked in
     * the input's own type, since a double that is finite can still overflow it: beyond
     * ±{@value Float#MAX_VALUE} a FLOAT32 element is infinite, and the model's answer NaN.
     *
     * @return a phrase that follows "value N", e.g. "is 1.0E39, beyond the range of FLOAT32 input 'x'"
     */
    static String unfit(double v, TensorSpec input) {
        if (!Double.isFinite(v)) {
            return "is " + v + "; NaN and Inf are not allowed";
        }
        boolean fits = switch (input.dtype()) {
            case FLOAT64 -> true;
            case FLOAT32 -> Float.isFinite((float) v);
            case INT32 -> v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
            // -2^63 is a long, 2^63 is not; both are exact doubles.
            case INT64 -> v >= -0x1p63 && v < 0x1p63;
        };
        if (!fits) {
            return "is " + v + ", beyond the range of " + input.dtype() + " input '" + input.name() + "'";
        }
        if (!input.dtype().isFloating() && v != Math.rint(v)) {
            return "is " + v + " but input '" + input.name() + "' is " + input.dtype();
        }
        return null;
    }

    /**
     * A two-dimensional tensor of finite values, [rows, columns], e.g. a matrix a request carries
     * for a method. Throws INVALID_PARAMS on any problem.
     *
     * @param columns the required number of columns, or -1 for any
     */
    static RowBlock matrix(Tensor t, int columns, String field) {
        List<FieldViolation> violations = new ArrayList<>();
        double[] values = values(t, field, violations);
        if (violations.isEmpty()) {
            List<Long> shape = t.getShapeList();
            if (shape.size() != 2 || shape.get(0) < 1 || shape.get(1) < 1) {
                violations.add(new FieldViolation(field + ".shape", "must be [rows, columns] with both >= 1, got "
                        + (shape.size() == 2 ? shape : "rank " + shape.size())));
            } else if (columns >= 0 && shape.get(1) != columns) {
                violations.add(new FieldViolation(field + ".shape[1]", "must be " + columns + ", got " + shape.get(1)));
            } else if (!holds(shape.get(0), shape.get(1), values.length)) {
                violations.add(new FieldViolation(field, "shape " + shape + " needs "
                        + product(shape.get(0), shape.get(1)) + " values, got " + values.length));
            } else {
                for (int i = 0; i < values.length; i++) {
                    if (!Double.isFinite(values[i])) {
                        violations.add(new FieldViolation(field, "value " + i + " is " + values[i]));
                        break;
                    }
                }
            }
        }
        if (!violations.isEmpty()) {
            throw dev.prism.error.PrismException.invalid(dev.prism.error.Reason.INVALID_PARAMS, violations);
        }
        return new RowBlock(Math.toIntExact(t.getShape(0)), Math.toIntExact(t.getShape(1)), values);
    }

    /**
     * Whether a shape of {@code rows} × {@code columns} (both >= 1) holds exactly {@code count}
     * values; a product that overflows a long cannot wrap around to a match.
     */
    private static boolean holds(long rows, long columns, int count) {
        return rows <= count && columns <= count && rows * columns == count;
    }

    private static BigInteger product(long rows, long columns) {
        return BigInteger.valueOf(rows).multiply(BigInteger.valueOf(columns));
    }

    private static double[] values(Tensor t, String field, List<FieldViolation> violations) {
        List<DType> carriers = new ArrayList<>();
        if (t.getFloatDataCount() > 0) {
            carriers.add(DType.FLOAT32);
        }
        if (t.getDoubleDataCount() > 0) {
            carriers.add(DType.FLOAT64);
        }
        if (t.getIntDataCount() > 0) {
            carriers.add(DType.INT32);
        }
        if (t.getInt64DataCount() > 0) {
            carriers.add(DType.INT64);
        }
        boolean raw = !t.getRawData().isEmpty();
        if (carriers.size() + (raw ? 1 : 0) != 1) {
            violations.add(new FieldViolation(field, carriers.isEmpty() && !raw
                    ? "carries no values: set one of float_data, double_data, int_data, int64_data, raw_data"
                    : "carries values in more than one field; use exactly one"));
            return new double[0];
        }
        DType declared = switch (t.getDtype()) {
            case DATA_TYPE_FLOAT32 -> DType.FLOAT32;
            case DATA_TYPE_FLOAT64 -> DType.FLOAT64;
            case DATA_TYPE_INT32 -> DType.INT32;
            case DATA_TYPE_INT64 -> DType.INT64;
            case DATA_TYPE_UNSPECIFIED -> null;
            case UNRECOGNIZED -> {
                violations.add(new FieldViolation(field + ".dtype", "unknown dtype " + t.getDtypeValue()));
                yield null;
            }
        };
        if (raw) {
            if (declared == null) {
                violations.add(new FieldViolation(field + ".dtype", "is required with raw_data"));
                return new double[0];
            }
            return fromRaw(t, declared, field, violations);
        }
        DType carrier = carriers.get(0);
        if (declared != null && declared != carrier) {
            violations.add(new FieldViolation(field + ".dtype", "is " + declared + " but the values are in the "
                    + carrier + " field"));
            return new double[0];
        }
        return switch (carrier) {
            case FLOAT32 -> {
                double[] v = new double[t.getFloatDataCount()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = t.getFloatData(i);
                }
                yield v;
            }
            case FLOAT64 -> t.getDoubleDataList().stream().mapToDouble(Double::doubleValue).toArray();
            case INT32 -> t.getIntDataList().stream().mapToDouble(Integer::doubleValue).toArray();
            case INT64 -> t.getInt64DataList().stream().mapToDouble(Long::doubleValue).toArray();
        };
    }

    private static double[] fromRaw(Tensor t, DType dtype, String field, List<FieldViolation> violations) {
        try {
            return LittleEndian.read(t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN), dtype);
        } catch (IllegalArgumentException e) {
            violations.add(new FieldViolation(field + ".raw_data", e.getMessage()));
            return new double[0];
        }
    }

    private static String dims(int[] shape) {
        StringBuilder b = new StringBuilder();
        for (int d : shape) {
            b.append(", ").append(d);
        }
        return b.toString();
    }

    /** A batch-first FLOAT64 tensor. */
    static Tensor encode(String name, long[] shape, double[] values) {
        Tensor.Builder t = Tensor.newBuilder().setName(name).setDtype(DataType.DATA_TYPE_FLOAT64);
        for (long d : shape) {
            t.addShape(d);
        }
        for (double v : values) {
            t.addDoubleData(v);
        }
        return t.build();
    }

    static DataType dataType(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> DataType.DATA_TYPE_FLOAT32;
            case FLOAT64 -> DataType.DATA_TYPE_FLOAT64;
            case INT32 -> DataType.DATA_TYPE_INT32;
            case INT64 -> DataType.DATA_TYPE_INT64;
        };
    }
}
