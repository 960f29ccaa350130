package dev.prism.server;

import dev.prism.batch.BatchScheduler;
import dev.prism.batch.BatchingSettings;
import dev.prism.error.ClientText;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.metrics.ExplanationMetrics;
import dev.prism.model.AttributionGraphs;
import dev.prism.model.AttributionKind;
import dev.prism.model.Model;
import dev.prism.repository.ModelRepository;
import dev.prism.runner.RequestContext;
import dev.prism.server.security.ModelGrant;
import dev.prism.explain.tree.TreeTableCache;
import dev.prism.explain.tree.RowThreads;
import dev.prism.explain.tree.ServedEnsemble;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Every served model with its schedulers, by name: the model's own, and one per attribution graph
 * it serves (compiled when the model loaded), each with the model's batching settings. A reload
 * replaces or removes a name atomically; the version it replaced is retired, and closed once the
 * requests that already hold it are done.
 */
final class ServedModels implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ServedModels.class.getName());
    /** The graph tag of the scheduler that runs a model's embedding output. */
    static final String EMBEDDING_GRAPH = "embedding";

    private final ServerOptions options;
    private final MeterRegistry registry;
    private final Map<String, ServedModel> byName = new ConcurrentSkipListMap<>();
    /** Versions replaced or removed whose requests are still running. */
    private final Set<ServedModel> retiring = ConcurrentHashMap.newKeySet();
    /**
     * Closes retired versions: the last request may release one on a scheduler worker, which must
     * not wait for itself to stop.
     */
    private final ExecutorService closer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "prism-model-close");
        t.setDaemon(true);
        return t;
    });
    private boolean closed;
    /** tree_shap's background tables, shared by every model version. */
    private final TreeTableCache treeTables;
    /** The threads tree_shap splits a request's rows across. */
    private final RowThreads treeRows;

    ServedModels(ModelRepository repository, ServerOptions options, MeterRegistry registry) {
        this.options = options;
        this.registry = registry;
        this.treeTables = new TreeTableCache(options.treeShap().tableBudgetBytes());
        this.treeRows = new RowThreads(options.treeShap().rowThreads());
        Gauge.builder("prism.tree_shap.table_cache", treeTables, TreeTableCache::bytes).baseUnit("bytes")
                .description("Memory held by tree_shap's cached background tables").register(registry);
        Gauge.builder("prism.tree_shap.table_cache.entries", treeTables, TreeTableCache::size)
                .description("Background tables tree_shap keeps, one per (model version, background)")
                .register(registry);
        FunctionCounter.builder("prism.tree_shap.table_cache.hits", treeTables, TreeTableCache::hits)
                .description("tree_shap requests that found their background's table kept").register(registry);
        FunctionCounter.builder("prism.tree_shap.table_cache.misses", treeTables, TreeTableCache::misses)
                .description("tree_shap requests that found no table kept for their background").register(registry);
        FunctionCounter.builder("prism.tree_shap.table_cache.evictions", treeTables, TreeTableCache::evictions)
                .description("Background tables dropped to make room for newer ones").register(registry);
        for (ModelRepository.Entry e : repository.entries()) {
            byName.put(e.name(), serve(e));
        }
    }

    /** Starts the schedulers of a loaded model; the result owns the entry's model. */
    ServedModel serve(ModelRepository.Entry e) {
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
                schedulers.put(graph, new BatchScheduler(e.name(), graph.label(), model,
                        batching(e, model, options), registry));
            }
        }
        Optional<ServedEnsemble> ensemble = e.model().trees()
                .map(t -> new ServedEnsemble(t, e.defaultBackground().orElse(null), treeTables, treeRows));
        Optional<ExampleIndex> examples;
        try {
            examples = ExampleIndex.build(e, main, view -> new BatchScheduler(e.name(), EMBEDDING_GRAPH, view,
                    batching(e, view, options), registry));
        } catch (RuntimeException failure) {
            schedulers.values().forEach(BatchScheduler::close);
            main.close();
            ensemble.ifPresent(ServedEnsemble::close);
            e.model().close();
            throw new IllegalArgumentException("model '" + e.name() + "': " + failure.getMessage(), failure);
        }
        ExplanationMetrics.served(registry, e.name(), MethodTable.names());
        return new ServedModel(e, main, graphs, schedulers, ensemble, examples, new InFlight());
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
            throw new PrismException(Reason.PERMISSION_DENIED, "this token may not use model " + ClientText.quote(name));
        }
        ServedModel m = byName.get(name);
        if (m == null) {
            throw new PrismException(Reason.MODEL_NOT_FOUND, "no model " + ClientText.quote(name) + "; served models: "
                    + visible().stream().map(ServedModel::name).toList());
        }
        return m;
    }

    /**
     * As {@link #require}, for a request that will run the model: the version it gets stays open
     * until the request's job ends (is released once it has answered, or cancelled).
     */
    ServedModel acquire(String name, String field, RequestContext context) {
        while (true) {
            ServedModel m = require(name, field);
            if (m.inFlight().tryAcquire()) {
                context.onEnd(m.inFlight()::release);
                return m;
            }
            // A reload retired this version between the lookup and now: the name has a newer one, or none.
        }
    }

    /** The models the call's {@link ModelGrant} allows, in name order. */
    List<ServedModel> visible() {
        ModelGrant grant = ModelGrant.current();
        return byName.values().stream().filter(m -> grant.allows(m.name())).toList();
    }

    /** The version now served under the name. */
    Optional<ServedModel> current(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The names served now. */
    List<String> names() {
        return new ArrayList<>(byName.keySet());
    }

    /** Serves the version under its name from now on; the one it replaces, if any, is retired. */
    synchronized void replace(ServedModel version) {
        if (closed) {
            closeVersion(version);
            return;
        }
        ServedModel old = byName.put(version.name(), version);
        if (old != null) {
            retire(old);
        }
    }

    /** Stops serving the name to new requests; its version is retired. */
    synchronized void remove(String name) {
        ServedModel old = byName.remove(name);
        if (old != null) {
            retire(old);
        }
    }

    private void retire(ServedModel old) {
        retiring.add(old);
        old.inFlight().retire(() -> {
            try {
                closer.execute(() -> {
                    closeVersion(old);
                    retiring.remove(old);
                });
            } catch (RejectedExecutionException e) {
                // The server is closing, and closes every retiring version itself.
            }
        });
    }

    /** Stops the version's schedulers (after their running batches), then closes its model and graphs. */
    private static void closeVersion(ServedModel m) {
        if (!m.inFlight().beginClose()) {
            return;
        }
        m.graphSchedulers().values().forEach(BatchScheduler::close);
        m.examples().ifPresent(ExampleIndex::close);
        m.scheduler().close();
        m.entry().model().close();
        m.ensemble().ifPresent(ServedEnsemble::close);
        m.inFlight().closed();
        LOG.log(System.Logger.Level.INFO, "closed model '" + m.name() + "' version " + m.version());
    }

    /** Stops every scheduler (failing queued work), then closes the models and with them their graphs. */
    @Override
    public void close() {
        List<ServedModel> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(byName.values());
        }
        closer.shutdown();
        try {
            closer.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        all.addAll(retiring);
        all.forEach(ServedModels::closeVersion);
        treeRows.close();
    }
}
