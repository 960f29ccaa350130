package dev.prism.server;

import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.Tensor;
import dev.prism.error.FieldViolation;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Link;
import dev.prism.explain.shap.KernelShapExplainer;
import dev.prism.explain.shap.KernelShapParams;
import dev.prism.model.Background;
import dev.prism.model.ModelSignature;
import dev.prism.model.OutputKind;
import dev.prism.tensor.RowBlock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Turns an {@link ExplainRequest} into validated core input and a bound method, or fails with field violations. */
final class ExplainRequestCodec {
    static final int MAX_BACKGROUND_ROWS = 10_000;

    private final ServedModels models;
    private final long maxEvaluations;
    private final KernelShapExplainer kernelShap = new KernelShapExplainer();

    ExplainRequestCodec(ServedModels models, long maxEvaluations) {
        this.models = models;
        this.maxEvaluations = maxEvaluations;
    }

    /** A request ready to run. */
    record Prepared(ServedModel model, ExplainInput input, MethodCall<?> method) {}

    Prepared prepare(ExplainRequest request) {
        ServedModel model = models.require(request.getModel(), "model");
        ModelSignature sig = model.signature();

        RowBlock instances = decodeInputs(request.getInputsList(), sig, "inputs");
        Background background = decodeBackground(request, model);
        int[] outputs = outputs(request.getOutputsList(), sig);
        Link link = link(request, sig);
        ExplainInput input = new ExplainInput(instances, background, outputs, link, request.getSeed());

        MethodCall<?> method = method(request);
        method.validate(input);
        long needed = method.evaluationsNeeded(input);
        if (needed > maxEvaluations) {
            throw PrismException.invalid(Reason.BUDGET_EXCEEDED, "inputs", "the request needs about " + needed
                    + " model evaluations, more than this server allows per request (" + maxEvaluations
                    + "); send fewer instances, a smaller background or fewer samples");
        }
        return new Prepared(model, input, method);
    }

    /** The instances of the model's explained input, from the request's single input tensor. */
    static RowBlock decodeInputs(List<Tensor> tensors, ModelSignature sig, String field) {
        if (tensors.size() != 1) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, field, "needs exactly one tensor for input '"
                    + sig.explainedInput().name() + "', got " + tensors.size());
        }
        Tensor t = tensors.get(0);
        String at = field + "[0]";
        if (!t.getName().isEmpty() && !t.getName().equals(sig.explainedInput().name())) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, at + ".name", "the model has no input '"
                    + t.getName() + "'; its input is '" + sig.explainedInput().name() + "'");
        }
        List<FieldViolation> violations = new ArrayList<>();
        RowBlock rows = TensorCodec.decode(t, sig.explainedInput(), at, violations);
        if (rows == null) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, violations);
        }
        return rows;
    }

    private static Background decodeBackground(ExplainRequest request, ServedModel model) {
        if (!request.hasBackground()) {
            if (request.getBackgroundWeightsCount() > 0) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "background_weights",
                        "given without a background");
            }
            return model.entry().defaultBackground().orElseThrow(() -> PrismException.invalid(
                    Reason.BACKGROUND_REQUIRED, "background", "model '" + model.name()
                            + "' has no default background; send background rows"));
        }
        List<FieldViolation> violations = new ArrayList<>();
        RowBlock rows = TensorCodec.decode(request.getBackground(), model.signature().explainedInput(),
                "background", violations);
        if (rows == null) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, violations);
        }
        if (rows.rows() > MAX_BACKGROUND_ROWS) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, "background.shape[0]", "at most "
                    + MAX_BACKGROUND_ROWS + " rows, got " + rows.rows() + "; summarise the background first");
        }
        if (request.getBackgroundWeightsCount() == 0) {
            return Background.uniform(rows);
        }
        if (request.getBackgroundWeightsCount() != rows.rows()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "background_weights", "needs one weight per "
                    + "background row (" + rows.rows() + "), got " + request.getBackgroundWeightsCount());
        }
        double[] w = request.getBackgroundWeightsList().stream().mapToDouble(Double::doubleValue).toArray();
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            if (!Double.isFinite(w[i]) || w[i] < 0) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "background_weights[" + i + "]",
                        "must be finite and >= 0, got " + w[i]);
            }
            sum += w[i];
        }
        if (sum <= 0) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "background_weights", "must not all be zero");
        }
        return new Background(rows, w);
    }

    private static int[] outputs(List<String> names, ModelSignature sig) {
        if (names.isEmpty()) {
            int[] all = new int[sig.outputCount()];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            return all;
        }
        List<FieldViolation> violations = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int[] columns = new int[names.size()];
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            columns[i] = sig.outputNames().indexOf(name);
            if (columns[i] < 0) {
                violations.add(new FieldViolation("outputs[" + i + "]", "the model has no output '" + name
                        + "'; it has " + sig.outputNames()));
            } else if (!seen.add(name)) {
                violations.add(new FieldViolation("outputs[" + i + "]", "'" + name + "' is listed twice"));
            }
        }
        if (!violations.isEmpty()) {
            throw PrismException.invalid(Reason.UNKNOWN_OUTPUT, violations);
        }
        return columns;
    }

    private static Link link(ExplainRequest request, ModelSignature sig) {
        return switch (request.getLink()) {
            case LINK_UNSPECIFIED, LINK_IDENTITY -> Link.IDENTITY;
            case LINK_LOGIT -> {
                if (sig.outputKind() == OutputKind.REGRESSION || sig.outputKind() == OutputKind.LOGIT) {
                    throw PrismException.invalid(Reason.INVALID_PARAMS, "link", "LOGIT needs probability "
                            + "outputs; this model's outputs are " + sig.outputKind());
                }
                yield Link.LOGIT;
            }
            case UNRECOGNIZED -> throw PrismException.invalid(Reason.INVALID_PARAMS, "link",
                    "unknown link " + request.getLinkValue());
        };
    }

    private MethodCall<?> method(ExplainRequest request) {
        return switch (request.getMethodCase()) {
            case KERNEL_SHAP -> new MethodCall<>("kernel_shap", kernelShap,
                    new KernelShapParams(request.getKernelShap().getNsamples()));
            case METHOD_NOT_SET -> new MethodCall<>("kernel_shap", kernelShap, KernelShapParams.DEFAULTS);
            default -> throw PrismException.invalid(Reason.INVALID_PARAMS, "method",
                    request.getMethodCase().name().toLowerCase(java.util.Locale.ROOT) + " is not available yet");
        };
    }
}
