package dev.prism.server;

import dev.prism.batch.BatchScheduler;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.model.AttributionGraphs;
import dev.prism.model.AttributionKind;
import dev.prism.model.BatchingSettings;
import dev.prism.model.Model;
import dev.prism.model.ModelRepository;
import dev.prism.server.security.ModelGrant;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every served model with its schedulers, by name: the model's own, and one per attribution graph
 * it serves (compiled when the model loaded), each with the model's batching settings.
 */
final class ServedModels implements AutoCloseable {
    private final ModelRepository repository;
    private final Map<String, ServedModel> byName = new LinkedHashMap<>();

    ServedModels(ModelRepository repository, ServerOptions options, MeterRegistry registry) {
        this.repository = repository;
        for (ModelRepository.Entry e : repository.entries()) {
            byName.put(e.name(), serve(e, options, registry));
        }
    }

    private static ServedModel serve(ModelRepository.Entry e, ServerOptions options, MeterRegistry registry) {
        BatchScheduler main = new BatchScheduler(e.name(), e.model(), batching(e, e.model(), options), registry);
        AttributionGraphs graphs = e.model().attributionGraphs();
        Map<ServedModel.Graph, BatchScheduler> schedulers = new LinkedHashMap<>();
        for (AttributionKind kind : AttributionKind.values()) {
            if (ServedModel.unsupported(e.model().signature(), graphs, kind).isPresent()) {
                continue;
            }
            for (boolean logits : graphs.hasLogits() ? new boolean[] {false, true} : new boolean[] {false}) {
                ServedModel.Graph graph = new ServedModel.Graph(kind, logits);
                Model model = graphs.graph(kind, logits);
                schedulers.put(graph, new BatchScheduler(graph.schedulerName(e.name()), model,
                        batching(e, model, options), registry));
            }
        }
        return new ServedModel(e, main, graphs, schedulers);
    }

    private static BatchingSettings batching(ModelRepository.Entry e, Model model, ServerOptions options) {
        return e.batching().withWorkers(options.workers(e.batching(), model.device()));
    }

    /**
     * The model, or NOT_FOUND (INVALID_ARGUMENT when the name is empty). A name outside the call's
     * {@link ModelGrant} is PERMISSION_DENIED whether or not it is served, so a token learns nothing
     * about the models it may not use.
     */
    ServedModel require(String name, String field) {
        if (name.isEmpty()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, field, "is required");
        }
        if (!ModelGrant.current().allows(name)) {
            throw new PrismException(Reason.PERMISSION_DENIED, "this token may not use model '" + name + "'");
        }
        ServedModel m = byName.get(name);
        if (m == null) {
            throw new PrismException(Reason.MODEL_NOT_FOUND, "no model '" + name + "'; served models: "
                    + visible().stream().map(ServedModel::name).toList());
        }
        return m;
    }

    /** The models the call's {@link ModelGrant} allows, in repository order. */
    List<ServedModel> visible() {
        ModelGrant grant = ModelGrant.current();
        return byName.values().stream().filter(m -> grant.allows(m.name())).toList();
    }

    /** Stops every scheduler (failing queued work), then closes the models and with them their graphs. */
    @Override
    public void close() {
        for (ServedModel m : byName.values()) {
            m.graphSchedulers().values().forEach(BatchScheduler::close);
            m.scheduler().close();
        }
        repository.close();
    }
}
