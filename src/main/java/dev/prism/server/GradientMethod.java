package dev.prism.server;

import dev.prism.api.v1.Method;
import dev.prism.explain.gradient.DeepLiftExplainer;
import dev.prism.explain.gradient.DeepLiftShapExplainer;
import dev.prism.explain.gradient.GradientExplainer;
import dev.prism.explain.gradient.GradientXInputExplainer;
import dev.prism.explain.gradient.IntegratedGradientsExplainer;
import dev.prism.explain.gradient.SaliencyExplainer;
import dev.prism.model.AttributionKind;
import java.util.Locale;

/** The gradient methods of the API: the request field that names each, its explainer and the graph it runs on. */
enum GradientMethod {
    DEEP_LIFT(Method.METHOD_DEEP_LIFT, new DeepLiftExplainer()),
    DEEP_LIFT_SHAP(Method.METHOD_DEEP_LIFT_SHAP, new DeepLiftShapExplainer()),
    INTEGRATED_GRADIENTS(Method.METHOD_INTEGRATED_GRADIENTS, new IntegratedGradientsExplainer()),
    GRADIENT_X_INPUT(Method.METHOD_GRADIENT_X_INPUT, new GradientXInputExplainer()),
    SALIENCY(Method.METHOD_SALIENCY, new SaliencyExplainer());

    private final Method api;
    private final GradientExplainer<?> explainer;

    GradientMethod(Method api, GradientExplainer<?> explainer) {
        this.api = api;
        this.explainer = explainer;
    }

    /** The request's field, e.g. "deep_lift", which is also the method's name in responses and metrics. */
    String field() {
        return name().toLowerCase(Locale.ROOT);
    }

    Method api() {
        return api;
    }

    AttributionKind kind() {
        return explainer.kind();
    }

    /** The explainer bound to the params the codec decoded for this method (null for those that take none). */
    @SuppressWarnings("unchecked")
    MethodCall<?> call(Object params) {
        return new MethodCall<>(field(), (GradientExplainer<Object>) explainer, params);
    }
}
