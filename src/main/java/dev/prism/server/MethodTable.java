package dev.prism.server;

import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainRequest.MethodCase;
import dev.prism.api.v1.GradientTarget;
import dev.prism.api.v1.Method;
import dev.prism.api.v1.MethodInfo;
import dev.prism.api.v1.ReferenceInput;
import dev.prism.api.v1.RunsOn;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.ExplainMethod;
import dev.prism.explain.Explainer;
import dev.prism.explain.gradient.DeepLiftExplainer;
import dev.prism.explain.gradient.DeepLiftShapExplainer;
import dev.prism.explain.gradient.GradientXInputExplainer;
import dev.prism.explain.gradient.IntegratedGradientsExplainer;
import dev.prism.explain.gradient.SaliencyExplainer;
import dev.prism.explain.lime.LimeExplainer;
import dev.prism.explain.shap.AutoParams;
import dev.prism.explain.shap.AutoShapleyExplainer;
import dev.prism.explain.shap.ExactShapleyExplainer;
import dev.prism.explain.shap.KernelShapExplainer;
import dev.prism.explain.shap.PermutationShapExplainer;
import dev.prism.explain.tree.TreeShapExplainer;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToIntFunction;

/**
 * The one place the API's methods are declared: each case of {@link ExplainRequest}'s {@code method}
 * oneof with its explainer (which declares what the method is, {@link ExplainMethod}), the decoder
 * of its parameters, its {@link Method} enum value and, for methods on an attribution graph, where
 * the request names the graph's target. The request codec, GetModel, metrics and the command line
 * read it; a oneof case without an entry fails a test.
 */
public final class MethodTable {

    /** Decodes and checks a method's parameters message from the request. */
    @FunctionalInterface
    interface ParamsDecoder<P> {
        /** @throws dev.prism.error.PrismException INVALID_ARGUMENT naming the field */
        P decode(ExplainRequest request, ServedModel model, RequestLimits limits);
    }

    /**
     * One method of the API.
     *
     * @param target for a method on an attribution graph, the raw {@link GradientTarget} number its
     *               parameters give (raw, so an unknown value can be reported); null otherwise
     */
    record Entry<P>(MethodCase oneof, Method api, Explainer<P> explainer, ParamsDecoder<P> params,
                    ToIntFunction<ExplainRequest> target) {

        ExplainMethod method() {
            return explainer.method();
        }

        /** The request field, the name in responses and the metrics label. */
        String name() {
            return method().name();
        }

        /** The explainer bound to the request's parameters, named as the response will name it. */
        MethodCall<P> bind(ExplainRequest request, ServedModel model, RequestLimits limits, ExplainInput input) {
            P p = params.decode(request, model, limits);
            return new MethodCall<>(explainer.ranAs(input, p), explainer, p);
        }

        /** What GetModel says of the method. */
        MethodInfo info() {
            ExplainMethod m = method();
            return MethodInfo.newBuilder()
                    .setMethod(api)
                    .setName(name())
                    .setRunsOn(switch (m.runsOn()) {
                        case MODEL_ROWS -> RunsOn.RUNS_ON_MODEL;
                        case ATTRIBUTION_GRAPH -> RunsOn.RUNS_ON_ATTRIBUTION_GRAPH;
                        case TREES -> RunsOn.RUNS_ON_TREES;
                    })
                    .setReference(switch (m.reference()) {
                        case BACKGROUND_OR_BASELINE -> ReferenceInput.REFERENCE_INPUT_BACKGROUND_OR_BASELINE;
                        case BACKGROUND -> ReferenceInput.REFERENCE_INPUT_BACKGROUND;
                        case BASELINE -> ReferenceInput.REFERENCE_INPUT_BASELINE;
                        case NONE -> ReferenceInput.REFERENCE_INPUT_NONE;
                    })
                    .setTimeBudget(m.answersWithinTimeBudget())
                    .setTolerance(m.tolerance())
                    .setRunningEstimates(m.runningEstimates())
                    .setEfficient(m.efficient())
                    .build();
        }
    }

    private static final Map<MethodCase, Entry<?>> ENTRIES = new EnumMap<>(MethodCase.class);

    static {
        add(MethodCase.AUTO, Method.METHOD_AUTO, new AutoShapleyExplainer(),
                (r, m, l) -> new AutoParams(m.ensemble()), null);
        add(MethodCase.KERNEL_SHAP, Method.METHOD_KERNEL_SHAP, new KernelShapExplainer(),
                MethodParamsCodec::kernelShap, null);
        add(MethodCase.EXACT_SHAPLEY, Method.METHOD_EXACT_SHAPLEY, new ExactShapleyExplainer(),
                MethodParamsCodec::exactShapley, null);
        add(MethodCase.PERMUTATION_SHAP, Method.METHOD_PERMUTATION_SHAP, new PermutationShapExplainer(),
                MethodParamsCodec::permutationShap, null);
        add(MethodCase.LIME, Method.METHOD_LIME, new LimeExplainer(), MethodParamsCodec::lime, null);
        add(MethodCase.DEEP_LIFT, Method.METHOD_DEEP_LIFT, new DeepLiftExplainer(), (r, m, l) -> null,
                r -> r.getDeepLift().getTargetValue());
        add(MethodCase.DEEP_LIFT_SHAP, Method.METHOD_DEEP_LIFT_SHAP, new DeepLiftShapExplainer(),
                (r, m, l) -> null, r -> r.getDeepLiftShap().getTargetValue());
        add(MethodCase.INTEGRATED_GRADIENTS, Method.METHOD_INTEGRATED_GRADIENTS, new IntegratedGradientsExplainer(),
                MethodParamsCodec::integratedGradients, r -> r.getIntegratedGradients().getTargetValue());
        add(MethodCase.GRADIENT_X_INPUT, Method.METHOD_GRADIENT_X_INPUT, new GradientXInputExplainer(),
                (r, m, l) -> null, r -> r.getGradientXInput().getTargetValue());
        add(MethodCase.SALIENCY, Method.METHOD_SALIENCY, new SaliencyExplainer(), (r, m, l) -> null,
                r -> r.getSaliency().getTargetValue());
        add(MethodCase.TREE_SHAP, Method.METHOD_TREE_SHAP, new TreeShapExplainer(),
                MethodParamsCodec::treeShap, null);
    }

    private static <P> void add(MethodCase oneof, Method api, Explainer<P> explainer, ParamsDecoder<P> params,
                                ToIntFunction<ExplainRequest> target) {
        if (!oneof.name().toLowerCase(java.util.Locale.ROOT).equals(explainer.method().name())
                || (target != null) != explainer.method().runsOnGraph()) {
            throw new IllegalStateException("the entry for " + oneof + " does not match its explainer's declaration");
        }
        ENTRIES.put(oneof, new Entry<>(oneof, api, explainer, params, target));
    }

    private MethodTable() {
    }

    /** The entry of a request's method: {@code auto} when none is set. */
    static Entry<?> of(ExplainRequest request) {
        MethodCase c = request.getMethodCase() == MethodCase.METHOD_NOT_SET ? MethodCase.AUTO : request.getMethodCase();
        Entry<?> e = ENTRIES.get(c);
        if (e == null) {
            throw new IllegalStateException("no method table entry for " + c);
        }
        return e;
    }

    /** Every method, in the order of the oneof's cases. */
    static List<Entry<?>> entries() {
        return List.copyOf(ENTRIES.values());
    }

    /** Every method's name (its request field), in the order of the oneof's cases. */
    public static List<String> names() {
        return ENTRIES.values().stream().map(Entry::name).toList();
    }

    /** The method of that name (its request field), if there is one. */
    static Optional<Entry<?>> named(String name) {
        return ENTRIES.values().stream().filter(e -> e.name().equals(name)).findFirst();
    }
}
