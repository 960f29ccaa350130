package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Message;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.Method;
import dev.prism.explain.ExplainMethod;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every method of the API has exactly one entry, and the entry agrees with its explainer's declaration. */
class MethodTableTest {

    private static final OneofDescriptor METHOD_ONEOF = ExplainRequest.getDescriptor().getOneofs().stream()
            .filter(o -> o.getName().equals("method")).findFirst().orElseThrow();

    /** A request with only that field of the method oneof set, to its default message. */
    private static ExplainRequest with(FieldDescriptor field) {
        ExplainRequest.Builder b = ExplainRequest.newBuilder();
        b.setField(field, b.newBuilderForField(field).build());
        return b.build();
    }

    @Test
    void everyCaseOfTheMethodOneofHasItsOwnEntry() {
        Set<MethodTable.Entry<?>> seen = new HashSet<>();
        for (FieldDescriptor field : METHOD_ONEOF.getFields()) {
            ExplainRequest request = with(field);
            MethodTable.Entry<?> entry = MethodTable.of(request);
            assertEquals(request.getMethodCase(), entry.oneof(), field.getName());
            assertEquals(field.getName(), entry.name(), "an entry's name is its request field");
            assertTrue(seen.add(entry), field.getName() + " shares an entry");
        }
        assertEquals(METHOD_ONEOF.getFieldCount(), MethodTable.entries().size(), "an entry for no oneof case");
    }

    @Test
    void noMethodSetMeansAuto() {
        assertEquals("auto", MethodTable.of(ExplainRequest.getDefaultInstance()).name());
    }

    @Test
    void everyApiMethodValueNamesExactlyOneEntry() {
        Set<Method> values = EnumSet.allOf(Method.class);
        values.remove(Method.METHOD_UNSPECIFIED);
        values.remove(Method.UNRECOGNIZED);
        for (Method m : values) {
            List<MethodTable.Entry<?>> named = MethodTable.entries().stream().filter(e -> e.api() == m).toList();
            assertEquals(1, named.size(), m + " names " + named.size() + " entries");
            assertEquals(m.name(), "METHOD_" + named.get(0).name().toUpperCase(java.util.Locale.ROOT));
        }
    }

    @Test
    void graphMethodsSayWhereTheirTargetIsAndModelMethodsHaveNone() {
        for (MethodTable.Entry<?> e : MethodTable.entries()) {
            ExplainMethod m = e.method();
            assertEquals(m.runsOnGraph(), e.target() != null, e.name());
            if (m.runsOnGraph()) {
                FieldDescriptor field = METHOD_ONEOF.getFields().stream()
                        .filter(f -> f.getName().equals(e.name())).findFirst().orElseThrow();
                FieldDescriptor target = field.getMessageType().findFieldByName("target");
                assertNotNull(target, e.name() + " has no target field");
                ExplainRequest.Builder b = ExplainRequest.newBuilder();
                Message.Builder params = b.newBuilderForField(field);
                params.setField(target, target.getEnumType().findValueByNumber(1));
                b.setField(field, params.build());
                assertEquals(1, e.target().applyAsInt(b.build()), e.name() + " reads another field's target");
            }
        }
    }

    @Test
    void theDeclarationsSayWhatEachMethodOffers() {
        // What the API has promised since each method shipped: a change here is a change users see.
        assertTrue(MethodTable.named("kernel_shap").orElseThrow().method().answersWithinTimeBudget());
        assertTrue(MethodTable.named("kernel_shap").orElseThrow().method().tolerance());
        assertEquals(ExplainMethod.Reference.NONE, MethodTable.named("saliency").orElseThrow().method().reference());
        assertEquals(ExplainMethod.Reference.BACKGROUND,
                MethodTable.named("deep_lift_shap").orElseThrow().method().reference());
        for (String name : List.of("deep_lift", "integrated_gradients", "gradient_x_input")) {
            assertEquals(ExplainMethod.Reference.BASELINE, MethodTable.named(name).orElseThrow().method().reference());
        }
        for (MethodTable.Entry<?> e : MethodTable.entries()) {
            ExplainMethod m = e.method();
            assertEquals(m.answersWithinTimeBudget(), e.info().getTimeBudget(), e.name());
            assertEquals(m.runningEstimates(), e.info().getRunningEstimates(), e.name());
            assertFalse(m.runsOnGraph() && m.tolerance(), e.name() + ": a graph pass has no standard error to reach");
        }
        assertTrue(MethodTable.named("no_such_method").isEmpty());
    }
}
