package dev.prism.server;

import dev.prism.api.v1.EvaluateRequest;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.GradientTarget;
import dev.prism.api.v1.Tensor;
import dev.prism.batch.BatchScheduler;
import dev.prism.error.ClientText;
import dev.prism.error.FieldViolation;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.BackgroundSummary;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.ExplainMethod;
import dev.prism.explain.FeatureGroups;
import dev.prism.explain.Link;
import dev.prism.explain.evaluation.EvaluationParams;
import dev.prism.explain.evaluation.ExplanationEvaluator;
import dev.prism.explain.evaluation.GivenExplanations;
import dev.prism.model.Background;
import dev.prism.model.ModelSignature;
import dev.prism.model.OutputKind;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.TensorSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Turns an {@link ExplainRequest} into validated core input and a bound method, or fails with field
 * violations. What a method takes and allows comes from its {@link MethodTable} entry and the
 * explainer's {@link ExplainMethod} declaration; this class only applies it to the request.
 */
final class ExplainRequestCodec {
    static final Duration MAX_TIME_BUDGET = Duration.ofHours(1);

    private final ServedModels models;
    private final RequestLimits limits;
    private final ReferenceCodec references;

    ExplainRequestCodec(ServedModels models, RequestLimits limits) {
        this.models = models;
        this.limits = limits;
        this.references = new ReferenceCodec(limits);
    }

    /**
     * A request ready to run.
     *
     * @param scheduler  the scheduler its rows go through: the model's, or its attribution graph's
     * @param graph      the attribution graph the method runs on, or null for rows of the model
     * @param compact    answer with the summary's tensors only
     * @param timeBudget the best answer within this time, or null
     * @param kmeans     the background rows k-means summarises {@code input}'s background to before the
     *                   method runs ({@link #summarise}), or 0
     * @param evaluation the metrics to evaluate the explanations with after they are computed, or null
     * @param evaluationSampled the evaluation was not asked for but drawn by the {@link EvaluationSampler}:
     *                   it goes to the metrics only, not into the response
     * @param given      an Evaluate request's attributions, [instance][output position][feature], evaluated
     *                   instead of the method's; null when the method explains
     */
    record Prepared(ServedModel model, ExplainInput input, MethodCall<?> method, BatchScheduler scheduler,
                    ServedModel.Graph graph, boolean compact, Duration timeBudget, int kmeans,
                    EvaluationParams evaluation, boolean evaluationSampled, double[][][] given) {
        /** Background rows the method will play with. */
        int backgroundRows() {
            return kmeans > 0 ? kmeans : input.background().size();
        }
    }

    /** The request's model version stays open until its context ends (see {@link ServedModels#acquire}). */
    Prepared prepare(ExplainRequest request, RequestContext context) {
        return prepare(request, context, false);
    }

    /**
     * An Evaluate request, ready to run: its explain request prepared as for Explain (field
     * violations named from {@code request.}), with the attributions it gives, if any.
     */
    Prepared prepareEvaluation(EvaluateRequest request, RequestContext context) {
        ExplainRequest explain = request.getRequest();
        List<FieldViolation> violations = new ArrayList<>();
        if (!request.hasRequest()) {
            violations.add(new FieldViolation("request", "required: the explanation's request"));
        } else if (!explain.hasEvaluate()) {
            violations.add(new FieldViolation("request.evaluate", "required: the metrics to compute"));
        }
        if (explain.hasTimeBudget()) {
            violations.add(new FieldViolation("request.time_budget", "an evaluation has no partial answer;"
                    + " leave time_budget unset (the call's deadline still applies)"));
        }
        if (!violations.isEmpty()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, violations);
        }
        boolean given = request.getAttributionsCount() > 0;
        Prepared p;
        try {
            p = prepare(explain, context, given);
        } catch (PrismException e) {
            throw e.withFieldPrefix("request.");
        }
        if (!given) {
            return p;
        }
        double[][][] attributions = GivenAttributionsCodec.decode(request.getAttributionsList(), p.input(),
                p.model().signature());
        return new Prepared(p.model(), p.input(), p.method(), p.scheduler(), p.graph(), p.compact(), p.timeBudget(),
                p.kmeans(), p.evaluation(), false, attributions);
    }

    /** @param given the attributions are given: the method explains only sensitivity's perturbed inputs */
    private Prepared prepare(ExplainRequest request, RequestContext context, boolean given) {
        MethodTable.Entry<?> entry = MethodTable.of(request);
        ExplainMethod declared = entry.method();
        Duration timeBudget = timeBudget(request, declared);
        ServedModel model = models.acquire(request.getModel(), "model", context);
        ModelSignature sig = model.signature();
        ServedModel.Graph graph = declared.runsOnGraph() ? graph(request, model, entry) : null;
        BatchScheduler scheduler = graph == null ? model.scheduler() : model.scheduler(graph, entry.name());

        RowBlock instances = decodeInputs(request.getInputsList(), model, "inputs");
        if (instances.rows() > limits.maxInstances()) {
            throw overLimit("inputs", instances.rows() + " instances", "max_instances", limits.maxInstances(),
                    "send them in several requests");
        }
        FeatureGroups groups = FeatureGroupsCodec.decode(request.getFeatureGroups(), sig);
        // Sampling grows with the feature count; a graph's pass or a tree walk does not.
        if (declared.runsOn() == ExplainMethod.RunsOn.MODEL_ROWS && groups.count() > limits.maxFeatures()) {
            throw overLimit(request.hasFeatureGroups() ? "feature_groups" : "inputs",
                    groups.count() + " features", "max_features", limits.maxFeatures(),
                    "group features with feature_groups, or use a gradient method");
        }
        ReferenceCodec.Reference reference = references.decode(request, model, declared);
        int[] outputs = outputs(request.getOutputsList(), sig);
        Link link = link(request, sig);
        ExplainInput input = new ExplainInput(instances, reference.rows(), reference.baseline(), groups, outputs, link,
                request.getSeed());
        boolean compact = switch (request.getFormat()) {
            case FORMAT_PER_EXPLANATION -> false;
            case FORMAT_COMPACT -> true;
            case UNRECOGNIZED -> throw PrismException.invalid(Reason.INVALID_PARAMS, "format",
                    "unknown format " + request.getFormatValue());
        };

        MethodCall<?> method = entry.bind(request, model, limits, input);
        method.validate(input);
        EvaluationParams evaluation = EvaluationParamsCodec.decode(request, declared,
                graph != null && graph.logits(), sig.explainedInput().dtype().isFloating(), request.hasFeatureGroups());
        int kmeans = reference.kmeans();
        // Evaluations grow with the background the method plays with: k rows after k-means.
        ExplainInput played = kmeans == 0 ? input : withBackground(input,
                Background.uniform(reference.rows().rows().slice(0, kmeans)));
        long needed = given ? GivenExplanations.modelRows(played, declared.reference() != ExplainMethod.Reference.NONE)
                : method.evaluationsNeeded(played);
        if (needed > limits.maxEvaluations()) {
            throw overLimit("inputs", "about " + needed + " model evaluations", "max_evaluations",
                    limits.maxEvaluations(), "send fewer instances, a smaller background or fewer samples");
        }
        if (evaluation != null && compact) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "evaluate", "FORMAT_COMPACT has no per-explanation"
                    + " messages to carry the evaluation; use FORMAT_PER_EXPLANATION");
        }
        if (evaluation != null) {
            long evaluating = evaluationRows(evaluation, method, played);
            if (evaluating > limits.maxEvaluations() - needed) {
                throw overLimit("evaluate", "about " + needed + " model evaluations for the explanation and "
                        + evaluating + " for its evaluation", "max_evaluations", limits.maxEvaluations(),
                        "ask for fewer steps or perturbations, or evaluate fewer instances");
            }
        }
        return new Prepared(model, input, method, scheduler, graph, compact, timeBudget, kmeans, evaluation, false,
                null);
    }

    /**
     * Model rows the evaluation adds: its row metrics', and sensitivity's explanation of the perturbed
     * inputs, which the method validates first (a test-mode request of one instance refuses them).
     */
    static long evaluationRows(EvaluationParams evaluation, MethodCall<?> method, ExplainInput input) {
        long rows = evaluation.modelRows(input);
        if (evaluation.sensitivity() != null) {
            ExplainInput perturbed = ExplanationEvaluator.perturbedInput(input, evaluation.sensitivity());
            try {
                method.validate(perturbed);
            } catch (PrismException e) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "evaluate.sensitivity", "the method cannot"
                        + " explain the perturbed inputs: " + e.getMessage());
            }
            long more = method.evaluationsNeeded(perturbed);
            rows = rows > Long.MAX_VALUE - more ? Long.MAX_VALUE : rows + more;
        }
        return rows;
    }

    /**
     * The input the method runs on: the prepared one, its background summarised by k-means when the
     * request asks for it. Runs after admission, on the explain pool, and stops when the request is
     * cancelled.
     */
    ExplainInput summarise(Prepared prepared, RequestContext context) {
        if (prepared.kmeans() == 0) {
            return prepared.input();
        }
        ExplainInput input = prepared.input();
        ExplainInput summarised = withBackground(input,
                BackgroundSummary.kmeans(input.background(), prepared.kmeans(), input.seed(), context));
        prepared.method().validate(summarised);
        return summarised;
    }

    private static ExplainInput withBackground(ExplainInput input, Background background) {
        return new ExplainInput(input.instances(), background, input.baseline(), input.groups(), input.outputs(),
                input.link(), input.seed());
    }

    /** The request's time budget, or null; refused for a method that has no answer before its end. */
    private static Duration timeBudget(ExplainRequest r, ExplainMethod method) {
        if (!r.hasTimeBudget()) {
            return null;
        }
        com.google.protobuf.Duration d = r.getTimeBudget();
        if (d.getSeconds() < 0 || d.getNanos() < 0 || d.getNanos() > 999_999_999 || (d.getSeconds() == 0 && d.getNanos() == 0)
                || d.getSeconds() > MAX_TIME_BUDGET.getSeconds()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "time_budget", "must be positive and at most "
                    + MAX_TIME_BUDGET.toMinutes() + " minutes, got " + d.getSeconds() + " s " + d.getNanos() + " ns");
        }
        if (!method.answersWithinTimeBudget()) {
            List<String> anytime = MethodTable.entries().stream().filter(e -> e.method().answersWithinTimeBudget())
                    .map(MethodTable.Entry::name).toList();
            throw PrismException.invalid(Reason.INVALID_PARAMS, "time_budget", method.withoutTimeBudget()
                    + ". Only " + String.join(", ", anytime) + (anytime.size() == 1 ? " answers" : " answer")
                    + " within a time budget; bound any method with the gRPC deadline");
        }
        return Duration.ofSeconds(d.getSeconds(), d.getNanos());
    }

    /** INVALID_ARGUMENT, reason BUDGET_EXCEEDED, naming the server's limit and its value. */
    static PrismException overLimit(String field, String asked, String limit, long value, String advice) {
        return PrismException.invalid(Reason.BUDGET_EXCEEDED, field, asked + " is more than this server's limit "
                + limit + " = " + value + "; " + advice);
    }

    /**
     * The attribution graph a method runs on: INVALID_ARGUMENT for an integer input or logits the
     * model does not have. (Its scheduler refuses with FAILED_PRECONDITION when the graph compiler
     * has no rule for one of the model's operators.)
     */
    private static ServedModel.Graph graph(ExplainRequest request, ServedModel model, MethodTable.Entry<?> entry) {
        String name = entry.name();
        TensorSpec input = model.signature().explainedInput();
        if (!input.dtype().isFloating()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, name, "gradient methods need a"
                    + " floating-point input; '" + input.name() + "' is " + input.dtype());
        }
        int targetNumber = entry.target().applyAsInt(request);
        String field = name + ".target";
        GradientTarget target = GradientTarget.forNumber(targetNumber);
        if (target == null) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, field, "unknown target " + targetNumber);
        }
        boolean logits = target == GradientTarget.GRADIENT_TARGET_LOGITS;
        if (model.unsupported(entry.method().graph()).isEmpty() && logits && !model.hasLogits()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, field, "GRADIENT_TARGET_LOGITS needs a score output"
                    + " produced by a final Softmax; model '" + model.name() + "' has none");
        }
        return new ServedModel.Graph(entry.method().graph(), logits);
    }

    /**
     * The instances of the model's explained input, from the request's single input tensor; NaN
     * elements where the model takes missing values ({@link TensorCodec#takesMissingValues}).
     */
    static RowBlock decodeInputs(List<Tensor> tensors, ServedModel model, String field) {
        return decodeInputs(tensors, model.signature(), TensorCodec.takesMissingValues(model.entry().model()), field);
    }

    /** Rows of the model's explained input, from a single tensor, NaN refused. */
    static RowBlock decodeInputs(List<Tensor> tensors, ModelSignature sig, String field) {
        return decodeInputs(tensors, sig, false, field);
    }

    private static RowBlock decodeInputs(List<Tensor> tensors, ModelSignature sig, boolean missing, String field) {
        if (tensors.size() != 1) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, field, "needs exactly one tensor for input '"
                    + sig.explainedInput().name() + "', got " + tensors.size());
        }
        Tensor t = tensors.get(0);
        String at = field + "[0]";
        if (!t.getName().isEmpty() && !t.getName().equals(sig.explainedInput().name())) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, at + ".name", "the model has no input "
                    + ClientText.quote(t.getName()) + "; its input is '" + sig.explainedInput().name() + "'");
        }
        List<FieldViolation> violations = new ArrayList<>();
        RowBlock rows = TensorCodec.decode(t, sig.explainedInput(), missing, at, violations);
        if (rows == null) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, violations);
        }
        return rows;
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
                violations.add(new FieldViolation("outputs[" + i + "]", "the model has no output "
                        + ClientText.quote(name) + "; it has " + sig.outputNames()));
            } else if (!seen.add(name)) {
                violations.add(new FieldViolation("outputs[" + i + "]", ClientText.quote(name) + " is listed twice"));
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
}
