package dev.prism.cli;

import dev.prism.server.PrismServer;
import dev.prism.server.RequestLimits;
import dev.prism.server.ServerOptions;
import dev.prism.server.security.SecurityOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;
import sun.misc.SignalHandler;

@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = PrismVersion.class,
        description = "Runs the Prism server.")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "50051", description = "gRPC port (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host",
            description = "Address the gRPC port binds to, e.g. 127.0.0.1 for this machine only (default: all).")
    String host;

    @Option(names = "--metrics-port", defaultValue = "9464",
            description = "Prometheus port, path /metrics; -1 turns it off (default ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--model-repository", description = "Folder of models, one sub-folder each "
            + "(default: the bundled models/).")
    Path modelRepository;

    @Option(names = "--device", defaultValue = "cpu",
            description = "Execution provider for models without their own: cpu, cuda or cuda:N (default ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--explain-threads", defaultValue = "64",
            description = "Explanations running at once (default ${DEFAULT-VALUE}).")
    int explainThreads;

    @Option(names = "--explain-queue", defaultValue = "1024",
            description = "Explanations waiting for a thread before new ones are refused (default ${DEFAULT-VALUE}).")
    int explainQueue;

    @Option(names = "--explain-queue-wait-seconds", defaultValue = "30",
            description = "Longest a request waits for an explain thread before it is refused (default ${DEFAULT-VALUE}).")
    double explainQueueWaitSeconds;

    @Option(names = "--evaluate-sample-rate", defaultValue = "0",
            description = "Share of Explain requests, in [0, 1], also evaluated with cheap default metrics (complexity"
                    + " and a 4-step deletion curve) for the metrics endpoint only; requests whose evaluation would"
                    + " cost more than 100000 model rows are skipped (default ${DEFAULT-VALUE}).")
    double evaluateSampleRate;

    @Option(names = "--memory-budget-mib", defaultValue = "0",
            description = "Heap lent to requests at once, in MiB: each reserves its inputs, working rows and answer"
                    + " until its call closes; 0 takes half the maximum heap (default ${DEFAULT-VALUE}).")
    long memoryBudgetMib;

    @Option(names = "--tree-shap-threads", defaultValue = "0",
            description = "Threads one tree_shap request's rows are split across, shared by all requests;"
                    + " 0 uses every core (default ${DEFAULT-VALUE}).")
    int treeShapThreads;

    @Option(names = "--tree-shap-table-cache-mib", defaultValue = "256",
            description = "Memory for tree_shap's background tables, kept per (model version, background) and"
                    + " dropped least recently used first; a model whose table would not fit is walked row by"
                    + " row instead (default ${DEFAULT-VALUE}).")
    long treeShapTableCacheMib;

    @Option(names = "--max-reference-rows", defaultValue = "1000000",
            description = "Most rows a model's reference set (its config's reference_file) may hold; a larger"
                    + " one fails the model's load (default ${DEFAULT-VALUE}).")
    int maxReferenceRows;

    @Option(names = "--stream-stall-seconds", defaultValue = "30",
            description = "How long an answer waits for a client that reads nothing before it is dropped"
                    + " (default ${DEFAULT-VALUE}).")
    double streamStallSeconds;

    @Option(names = "--max-connection-age-seconds", defaultValue = "0",
            description = "How long a client connection may live before the server asks the client to reconnect,"
                    + " so clients balancing over several replicas find new ones; 0 keeps connections"
                    + " (default ${DEFAULT-VALUE}).")
    double maxConnectionAgeSeconds;

    @Option(names = "--max-connection-age-grace-seconds", defaultValue = "0",
            description = "How long calls on such a connection may still run; 0 lets them finish however long"
                    + " a streamed explanation takes (default ${DEFAULT-VALUE}).")
    double maxConnectionAgeGraceSeconds;

    @Option(names = "--max-streams-per-connection", defaultValue = "128",
            description = "Concurrent calls one connection may open; checked by the transport, before tokens"
                    + " (default ${DEFAULT-VALUE}).")
    int maxStreamsPerConnection;

    @Option(names = "--max-evaluations", defaultValue = "1000000000",
            description = "Most model rows one request may need (default ${DEFAULT-VALUE}).")
    long maxEvaluations;

    @Option(names = "--max-message-bytes", defaultValue = "67108864",
            description = "Largest request message (default ${DEFAULT-VALUE}).")
    int maxMessageBytes;

    @Option(names = "--max-instances", defaultValue = "10000",
            description = "Instances per request (default ${DEFAULT-VALUE}).")
    int maxInstances;

    @Option(names = "--max-features", defaultValue = "2000",
            description = "Features or feature groups a perturbation method explains at once (default ${DEFAULT-VALUE}).")
    int maxFeatures;

    @Option(names = "--max-background-rows", defaultValue = "10000",
            description = "Rows of an inline background (default ${DEFAULT-VALUE}).")
    int maxBackgroundRows;

    @Option(names = "--max-samples", defaultValue = "1000000",
            description = "A method's sample budget: nsamples, num_samples, max_evals, npermutations, n_steps "
                    + "(default ${DEFAULT-VALUE}).")
    long maxSamples;

    @Option(names = "--shutdown-grace-seconds", defaultValue = "30",
            description = "On SIGTERM, how long running calls get to finish (default ${DEFAULT-VALUE}).")
    long graceSeconds;

    @Option(names = "--intra-op-threads", defaultValue = "1",
            description = "ONNX Runtime threads per model run (default ${DEFAULT-VALUE}: runs go in parallel, "
                    + "one per core, and results do not depend on batch size); 0 = ONNX Runtime's default.")
    int intraOpThreads;

    @Option(names = "--max-batch-rows", description = "Override every model's max_batch_rows.")
    Integer maxBatchRows;

    @Option(names = "--max-queue-delay-micros", description = "Override every model's max_queue_delay_micros.")
    Integer maxQueueDelayMicros;

    @Option(names = "--max-queue-rows", description = "Override every model's max_queue_rows.")
    Long maxQueueRows;

    @Option(names = "--cross-request-batching", arity = "1",
            description = "Override every model's cross_request_batching (true|false).")
    Boolean crossRequestBatching;

    @Option(names = "--metrics-host",
            description = "Address the metrics endpoint binds to, e.g. 127.0.0.1 for this machine only (default: all).")
    String metricsHost;

    @Option(names = "--health-port", defaultValue = "-1", description = "A second port, plaintext and open, that"
            + " serves only the gRPC health service, for probes that cannot speak TLS (Kubernetes' gRPC probes);"
            + " bound to --host; -1 (default) = none.")
    int healthPort;

    @Option(names = "--http-port", defaultValue = "-1", description = "HTTP/JSON port: Prism's API as JSON with"
            + " Server-Sent Events, KServe V1 and Open Inference Protocol REST; HTTPS with --tls-cert, the same"
            + " tokens as gRPC; 0 = any free port, -1 (default) = none.")
    int httpPort;

    @Option(names = "--http-host",
            description = "Address the HTTP/JSON port binds to, e.g. 127.0.0.1 for this machine only (default: all).")
    String httpHost;

    @Option(names = "--tls-cert",
            description = "PEM certificate chain: serve gRPC, and HTTP/JSON, over TLS (needs --tls-key).")
    Path tlsCert;

    @Option(names = "--tls-key", description = "PEM PKCS#8 private key of --tls-cert.")
    Path tlsKey;

    @Option(names = "--tls-client-ca",
            description = "PEM CA certificates: require client certificates they signed (mutual TLS).")
    Path tlsClientCa;

    @Option(names = "--tokens-file", description = "Bearer tokens and the models each may use, one "
            + "'<token|sha256:HEX> <model,model|*>' per line: calls without a listed token are refused.")
    Path tokensFile;

    @Option(names = "--reflection", description = "Who may use gRPC server reflection: open, tokens (a token of"
            + " --tokens-file, whichever models it allows) or off (default: tokens with --tokens-file, else open).")
    String reflection;

    @Option(names = "--watch-models", description = "Reload models when the repository's files change "
            + "(after 1 s without changes); SIGHUP reloads them at any time.")
    boolean watchModels;

    @Override
    public Integer call() throws Exception {
        Path repository = modelRepository != null ? modelRepository : defaultRepository();
        if (!(explainQueueWaitSeconds >= 0)) {
            System.err.println("prism: --explain-queue-wait-seconds must be 0 or more, not " + explainQueueWaitSeconds);
            return 2;
        }
        if (maxReferenceRows < 1) {
            System.err.println("prism: --max-reference-rows must be positive");
            return 2;
        }
        if (!(streamStallSeconds > 0) || memoryBudgetMib < 0) {
            System.err.println("prism: --stream-stall-seconds must be positive and --memory-budget-mib 0 or more");
            return 2;
        }
        PrismServer server;
        try {
            RequestLimits limits = new RequestLimits(maxMessageBytes, maxInstances, maxFeatures, maxBackgroundRows,
                    maxSamples, maxEvaluations);
            ServerOptions options = new ServerOptions(port, metricsPort, repository, device, explainThreads,
                    explainQueue, limits, Duration.ofSeconds(graceSeconds), intraOpThreads, maxBatchRows,
                    maxQueueDelayMicros, maxQueueRows, crossRequestBatching,
                    Duration.ofNanos((long) (explainQueueWaitSeconds * 1e9)),
                    new ServerOptions.Admission(Math.multiplyExact(memoryBudgetMib, 1024L * 1024L),
                            Duration.ofNanos((long) (streamStallSeconds * 1e9)), maxStreamsPerConnection,
                            Duration.ofNanos((long) (maxConnectionAgeSeconds * 1e9)),
                            Duration.ofNanos((long) (maxConnectionAgeGraceSeconds * 1e9))),
                    new ServerOptions.TreeShapSettings(
                            treeShapThreads == 0 ? Runtime.getRuntime().availableProcessors() : treeShapThreads,
                            Math.multiplyExact(treeShapTableCacheMib, 1024L * 1024L)), maxReferenceRows,
                    evaluateSampleRate);
            server = PrismServer.start(options, new SecurityOptions(tlsCert, tlsKey, tlsClientCa, tokensFile, host,
                    metricsHost, reflection == null ? null : SecurityOptions.Reflection.parse(reflection), healthPort,
                    httpHost, httpPort));
        } catch (IllegalArgumentException e) {
            System.err.println("prism: " + e.getMessage());
            return 2;
        }
        // SIGTERM and SIGINT drain the server while the JVM still runs normally, and the process then
        // exits 0; left to the JVM, they would start its shutdown at once and exit 143.
        for (String signal : List.of("TERM", "INT")) {
            Signal.handle(new Signal(signal), s -> new Thread(server::close, "prism-shutdown").start());
        }
        SignalHandler before = Signal.handle(new Signal("HUP"), s -> new Thread(server::reload, "prism-reload").start());
        if (before == SignalHandler.SIG_IGN) {
            // A process started with SIGHUP ignored (nohup) cannot take it back: the JVM leaves it ignored.
            System.err.println("prism: SIGHUP is ignored by this process (started under nohup?), so it does not"
                    + " reload models; reload with the ReloadModels call, `prism reload`, or --watch-models");
        }
        if (watchModels) {
            server.watchModels(Duration.ofSeconds(1));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "prism-shutdown-hook"));
        System.err.println("prism: serving " + repository.toAbsolutePath().normalize() + " on port " + server.port()
                + (server.httpPort() >= 0 ? ", HTTP/JSON on port " + server.httpPort() : "")
                + (server.metricsPort() >= 0 ? ", metrics on port " + server.metricsPort() + " at /metrics" : ""));
        server.awaitTermination();
        return 0;
    }

    /** $PRISM_HOME/models when the launcher sets it, else ./models. */
    private static Path defaultRepository() {
        String home = System.getenv("PRISM_HOME");
        return home != null ? Path.of(home, "models") : Path.of("models");
    }
}
