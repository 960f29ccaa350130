package dev.prism.server;

import dev.prism.batch.BatchScheduler;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.model.BatchingSettings;
import dev.prism.model.ModelRepository;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every served model with its scheduler, by name. */
final class ServedModels implements AutoCloseable {
    private final ModelRepository repository;
    private final Map<String, ServedModel> byName = new LinkedHashMap<>();

    ServedModels(ModelRepository repository, ServerOptions options, MeterRegistry registry) {
        this.repository = repository;
        for (ModelRepository.Entry e : repository.entries()) {
            BatchingSettings batching = e.batching().withWorkers(options.workers(e.batching(), e.model().device()));
            byName.put(e.name(), new ServedModel(e, new BatchScheduler(e.name(), e.model(), batching, registry)));
        }
    }

    /** The model, or NOT_FOUND (INVALID_ARGUMENT when the name is empty). */
    ServedModel require(String name, String field) {
        if (name.isEmpty()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, field, "is required");
        }
        ServedModel m = byName.get(name);
        if (m == null) {
            throw new PrismException(Reason.MODEL_NOT_FOUND, "no model '" + name + "'; served models: "
                    + byName.keySet());
        }
        return m;
    }

    List<ServedModel> all() {
        return new ArrayList<>(byName.values());
    }

    /** Stops every scheduler (failing queued work), then closes the models. */
    @Override
    public void close() {
        byName.values().forEach(m -> m.scheduler().close());
        repository.close();
    }
}
