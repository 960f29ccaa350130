package dev.prism.oip;

import dev.prism.tensor.DType;

/** The Open Inference Protocol's names of the element types Prism reads and writes. */
public final class OipDatatypes {
    private OipDatatypes() {}

    /** The protocol's name of a Prism element type. */
    public static String name(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> "FP32";
            case FLOAT64 -> "FP64";
            case INT32 -> "INT32";
            case INT64 -> "INT64";
        };
    }

    /** The Prism element type of a protocol datatype, or null for one Prism does not read or write. */
    public static DType dtype(String datatype) {
        return switch (datatype) {
            case "FP32" -> DType.FLOAT32;
            case "FP64" -> DType.FLOAT64;
            case "INT32" -> DType.INT32;
            case "INT64" -> DType.INT64;
            default -> null;
        };
    }
}
