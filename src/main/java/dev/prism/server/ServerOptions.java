package dev.prism.server;

import dev.prism.batch.BatchingSettings;
import dev.prism.repository.ModelSettings;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How a server is started. Null batching fields keep each model's configured value.
 *
 * @param port              gRPC port; 0 picks a free one
 * @param metricsPort       Prometheus port; 0 picks a free one, -1 disables the endpoint
 * @param limits            what one request may ask: instances, features, samples, evaluations, bytes
 * @param intraOpThreads    ONNX Runtime threads per run; 0 = ONNX Runtime's default (one per
 *                          physical core). The default 1 runs batches in parallel instead, which
 *                          keeps results independent of batch size (tree ensembles split work
 *                          across threads differently for large batches).
 * @param explainQueueWait  longest an admitted request may wait for an explain thread; past it
 *                          the request is refused with QUEUE_FULL instead of run
 * @param admission         memory lent to requests, the stall limit for readers, streams per connection
 * @param treeShap          tree_shap's row threads and background table cache
 * @param maxReferenceRows  the most rows a model's reference set (its config's reference_file) may
 *                          hold; a larger one fails the model's load
 * @param evaluateSampleRate the share of Explain requests evaluated with cheap default metrics for
 *                          the metrics endpoint only (see {@link EvaluationSampler}); 0 for none
 */
public record ServerOptions(
        int port,
        int metricsPort,
        Path modelRepository,
        String device,
        int explainThreads,
        int explainQueue,
        RequestLimits limits,
        Duration shutdownGrace,
        int intraOpThreads,
        Integer maxBatchRows,
        Integer maxQueueDelayMicros,
        Long maxQueueRows,
        Boolean crossRequestBatching,
        Duration explainQueueWait,
        Admission admission,
        TreeShapSettings treeShap,
        int maxReferenceRows,
        double evaluateSampleRate) {

    public ServerOptions {
        if (!(evaluateSampleRate >= 0 && evaluateSampleRate <= 1)) {
            throw new IllegalArgumentException("the evaluate sample rate must be in [0, 1], not " + evaluateSampleRate);
        }
    }

    /**
     * How tree_shap computes in Prism itself.
     *
     * @param rowThreads       threads one request's rows are split across (its own included), shared
     *                         by all requests
     * @param tableBudgetBytes the most the cached background tables hold together; a table larger
     *                         than this is never built and the ensemble is walked instead
     */
    public record TreeShapSettings(int rowThreads, long tableBudgetBytes) {
        public static final TreeShapSettings DEFAULTS =
                new TreeShapSettings(Runtime.getRuntime().availableProcessors(), 256L << 20);

        public TreeShapSettings {
            if (rowThreads < 1 || tableBudgetBytes < 0) {
                throw new IllegalArgumentException("tree_shap row threads must be positive and the table budget"
                        + " not negative: " + this);
            }
        }
    }

    /**
     * @param memoryBudgetBytes       heap lent to requests at once (see {@link MemoryBudget}); 0 takes
     *                                half the maximum heap
     * @param streamStall             how long a call's answer may wait for a client that reads nothing
     *                                before the server drops it
     * @param maxStreamsPerConnection concurrent calls one connection may open (HTTP/2
     *                                MAX_CONCURRENT_STREAMS), enforced by the transport before any
     *                                token is checked
     * @param maxConnectionAge        how long a connection may live before the server asks its client
     *                                to reconnect (GOAWAY), so that clients balancing over several
     *                                replicas find new ones; zero keeps connections
     * @param maxConnectionAgeGrace   how long calls on such a connection may still run; zero lets
     *                                them finish, however long a streamed explanation takes
     */
    public record Admission(long memoryBudgetBytes, Duration streamStall, int maxStreamsPerConnection,
                            Duration maxConnectionAge, Duration maxConnectionAgeGrace) {
        public static final Admission DEFAULTS = new Admission(0, Duration.ofSeconds(30), 128);

        /** Connections kept for as long as their clients keep them. */
        public Admission(long memoryBudgetBytes, Duration streamStall, int maxStreamsPerConnection) {
            this(memoryBudgetBytes, streamStall, maxStreamsPerConnection, Duration.ZERO, Duration.ZERO);
        }

        public Admission {
            if (memoryBudgetBytes < 0 || streamStall.isNegative() || streamStall.isZero()
                    || maxStreamsPerConnection < 1 || maxConnectionAge.isNegative()
                    || maxConnectionAgeGrace.isNegative()) {
                throw new IllegalArgumentException("the memory budget and connection ages must not be negative,"
                        + " the stall limit and the streams per connection must be positive: " + this);
            }
        }
    }

    public static ServerOptions defaults(Path modelRepository) {
        return new ServerOptions(50051, 9464, modelRepository, "cpu", 64, 1024, RequestLimits.DEFAULTS,
                Duration.ofSeconds(30), 1, null, null, null, null, Duration.ofSeconds(30), Admission.DEFAULTS,
                TreeShapSettings.DEFAULTS, ModelSettings.DEFAULT_MAX_REFERENCE_ROWS, 0);
    }

    public ServerOptions withPorts(int grpc, int metrics) {
        return new ServerOptions(grpc, metrics, modelRepository, device, explainThreads, explainQueue,
                limits, shutdownGrace, intraOpThreads, maxBatchRows, maxQueueDelayMicros, maxQueueRows,
                crossRequestBatching, explainQueueWait, admission, treeShap, maxReferenceRows, evaluateSampleRate);
    }

    public ServerOptions withBatching(Integer rows, Integer delayMicros, Long queueRows, Boolean crossRequest) {
        return new ServerOptions(port, metricsPort, modelRepository, device, explainThreads, explainQueue,
                limits, shutdownGrace, intraOpThreads, rows, delayMicros, queueRows, crossRequest, explainQueueWait, admission,
                treeShap, maxReferenceRows, evaluateSampleRate);
    }

    public ServerOptions withExplainPool(int threads, int queue) {
        return new ServerOptions(port, metricsPort, modelRepository, device, threads, queue,
                limits, shutdownGrace, intraOpThreads, maxBatchRows, maxQueueDelayMicros, maxQueueRows,
                crossRequestBatching, explainQueueWait, admission, treeShap, maxReferenceRows, evaluateSampleRate);
    }

    public ServerOptions withExplainQueueWait(Duration wait) {
        return new ServerOptions(port, metricsPort, modelRepository, device, explainThreads, explainQueue,
                limits, shutdownGrace, intraOpThreads, maxBatchRows, maxQueueDelayMicros, maxQueueRows,
                crossRequestBatching, wait, admission, treeShap, maxReferenceRows, evaluateSampleRate);
    }

    public ServerOptions withAdmission(Admission a) {
        return new ServerOptions(port, metricsPort, modelRepository, device, explainThreads, explainQueue,
                limits, shutdownGrace, intraOpThreads, maxBatchRows, maxQueueDelayMicros, maxQueueRows,
                crossRequestBatching, explainQueueWait, a, treeShap, maxReferenceRows, evaluateSampleRate);
    }

    public ServerOptions withTreeShap(TreeShapSettings t) {
        return new ServerOptions(port, metricsPort, modelRepository, device, explainThreads, explainQueue,
                limits, shutdownGrace, intraOpThreads, maxBatchRows, maxQueueDelayMicros, maxQueueRows,
                crossRequestBatching, explainQueueWait, admission, t, maxReferenceRows, evaluateSampleRate);
    }

    public ServerOptions withMaxReferenceRows(int rows) {
        return new ServerOptions(port, metricsPort, modelRepository, device, explainThreads, explainQueue,
                limits, shutdownGrace, intraOpThreads, maxBatchRows, maxQueueDelayMicros, maxQueueRows,
                crossRequestBatching, explainQueueWait, admission, treeShap, rows, evaluateSampleRate);
    }

    public ServerOptions withEvaluateSampleRate(double rate) {
        return new ServerOptions(port, metricsPort, modelRepository, device, explainThreads, explainQueue,
                limits, shutdownGrace, intraOpThreads, maxBatchRows, maxQueueDelayMicros, maxQueueRows,
                crossRequestBatching, explainQueueWait, admission, treeShap, maxReferenceRows, rate);
    }

    public ServerOptions withLimits(RequestLimits l) {
        return new ServerOptions(port, metricsPort, modelRepository, device, explainThreads, explainQueue,
                l, shutdownGrace, intraOpThreads, maxBatchRows, maxQueueDelayMicros, maxQueueRows,
                crossRequestBatching, explainQueueWait, admission, treeShap, maxReferenceRows, evaluateSampleRate);
    }

    /** Workers for a model whose config leaves the count open. */
    int workers(BatchingSettings b, String device) {
        if (b.workers() > 0) {
            return b.workers();
        }
        if (device.startsWith("cuda")) {
            return 2;
        }
        if (device.startsWith("oip:")) {
            // Another server runs the rows: a few calls in flight hide the network's latency.
            return 4;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        return intraOpThreads == 0 ? 1 : Math.max(1, cores / intraOpThreads);
    }

    /** Applies the command-line batching overrides and the reference row limit to a model's settings. */
    ModelSettings override(ModelSettings s) {
        BatchingSettings b = s.batching();
        return s.withMaxReferenceRows(maxReferenceRows).withBatching(new BatchingSettings(
                maxBatchRows != null ? maxBatchRows : b.maxBatchRows(),
                maxQueueDelayMicros != null ? maxQueueDelayMicros : b.maxQueueDelayMicros(),
                maxQueueRows != null ? maxQueueRows : b.maxQueueRows(),
                crossRequestBatching != null ? crossRequestBatching : b.crossRequestBatching(),
                b.workers()));
    }
}
