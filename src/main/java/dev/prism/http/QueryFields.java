package dev.prism.http;

import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import java.util.Map;

/**
 * A GET's query parameters as fields of its request message, by their proto or JSON names (e.g.
 * {@code ?background_rows=5} on GetModel): singular numbers, booleans, strings and enums (by name).
 * A name the message has not, or a value its field cannot take, is INVALID_PARAMS on that name.
 */
final class QueryFields {
    private QueryFields() {}

    static <B extends Message.Builder> B apply(Map<String, String> query, B builder) {
        for (Map.Entry<String, String> q : query.entrySet()) {
            String name = q.getKey();
            FieldDescriptor f = builder.getDescriptorForType().findFieldByName(name);
            if (f == null) {
                f = builder.getDescriptorForType().getFields().stream().filter(o -> o.getJsonName().equals(name))
                        .findFirst().orElse(null);
            }
            if (f == null || f.isRepeated() || f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, name, "is no query parameter of this route");
            }
            builder.setField(f, value(f, q.getValue(), name));
        }
        return builder;
    }

    private static Object value(FieldDescriptor f, String v, String name) {
        try {
            return switch (f.getJavaType()) {
                case INT -> f.getType() == FieldDescriptor.Type.UINT32 || f.getType() == FieldDescriptor.Type.FIXED32
                        ? Integer.parseUnsignedInt(v) : Integer.parseInt(v);
                case LONG -> f.getType() == FieldDescriptor.Type.UINT64 || f.getType() == FieldDescriptor.Type.FIXED64
                        ? Long.parseUnsignedLong(v) : Long.parseLong(v);
                case DOUBLE -> Double.parseDouble(v);
                case FLOAT -> Float.parseFloat(v);
                case BOOLEAN -> switch (v) {
                    case "true" -> true;
                    case "false" -> false;
                    default -> throw new NumberFormatException(v);
                };
                case STRING -> v;
                case ENUM -> {
                    EnumValueDescriptor e = f.getEnumType().findValueByName(v);
                    if (e == null) {
                        throw new NumberFormatException(v);
                    }
                    yield e;
                }
                default -> throw new NumberFormatException(v);
            };
        } catch (NumberFormatException e) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, name, "cannot be '" + v + "': the field is "
                    + f.getType().name().toLowerCase());
        }
    }
}
