package dev.prism.server;

import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.http.HttpGateway;
import dev.prism.http.HttpSettings;
import dev.prism.metrics.CancelledRequests;
import dev.prism.metrics.ExplanationMetrics;
import dev.prism.metrics.MetricsHttpServer;
import dev.prism.metrics.PrometheusMeters;
import dev.prism.oip.OpenInferenceModelLoader;
import dev.prism.onnx.OnnxModelLoader;
import dev.prism.repository.ModelLoader;
import dev.prism.repository.ModelRepository;
import dev.prism.server.security.SecurityOptions;
import dev.prism.server.security.ServerTls;
import dev.prism.server.security.TokenAuthInterceptor;
import dev.prism.server.security.TokensFile;
import inference.OpenInferenceGrpc.InferParameter;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A running Prism: the model repository with one scheduler per model, the gRPC services (models,
 * explanations, health, reflection), the Prometheus endpoint, and optionally the HTTP/JSON gateway
 * ({@link HttpGateway}), which calls the same services in process. With a tokens file, the model and
 * explain services require a bearer token, and so does reflection unless the security options open
 * or close it; health stays open, so that probes need no secret (it says nothing about the models).
 * {@link #close()} shuts down gracefully: health goes NOT_SERVING, new calls are refused, running
 * explanations get the grace period to finish, then what is left is cancelled and the models are
 * closed.
 */
public final class PrismServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PrismServer.class.getName());
    /** After the explanations of a shutdown have answered, how long other calls get before the transport goes. */
    private static final Duration FINAL_DRAIN = Duration.ofSeconds(2);
    private static final int ANSWER_WRITERS = 2;
    /** A health check names a service: a few bytes. */
    private static final int HEALTH_MESSAGE_BYTES = 4096;

    private final ServerOptions options;
    private final PrometheusMeterRegistry registry;
    private final ServedModels models;
    private final ExplainPool pool;
    private final MemoryBudget budget;
    private final ExplainServiceImpl explainService;
    private final ScheduledExecutorService timer;
    private final ExecutorService callExecutor;
    /** Serializes answers that waited for their reader, so that a large one never holds a gRPC thread. */
    private final ExecutorService answerWriter;
    private final HealthStatusManager health = new HealthStatusManager();
    private final Server server;
    /** The plaintext port of the health service alone, for probes that cannot speak TLS; null when off. */
    private final Server healthServer;
    private final MetricsHttpServer metricsHttp;
    /** The gRPC services again, in process, for the HTTP/JSON gateway; null without an HTTP port. */
    private final Server inProcess;
    private final ManagedChannel gatewayChannel;
    private final HttpGateway http;
    private final ModelReloader reloader;
    private RepositoryWatcher watcher;
    /** Set once close() begins; read by the Open Inference Protocol's readiness. */
    private volatile boolean closed;

    private PrismServer(ServerOptions options, SecurityOptions security, ServerBuilder<?> builder, ModelLoader loader)
            throws IOException {
        this.options = options;
        this.registry = PrometheusMeters.registry();

        ModelRepository repository = ModelRepository.load(options.modelRepository(), loader, options.device(),
                options::override);
        List<ServerInterceptor> callInterceptors = new ArrayList<>();
        TokensFile tokens;
        try {
            tokens = tokens(security, repository);
        } catch (RuntimeException e) {
            repository.close();
            throw e;
        }
        List<ServerInterceptor> reflectionInterceptors = new ArrayList<>();
        if (tokens != null) {
            callInterceptors.add(new TokenAuthInterceptor(tokens));
            if (security.reflectionAccess() == SecurityOptions.Reflection.TOKENS) {
                reflectionInterceptors.add(new TokenAuthInterceptor(tokens));
            }
        }
        this.models = new ServedModels(repository, options, registry);
        this.reloader = new ModelReloader(options.modelRepository(), loader, options.device(), options::override,
                models, tokens, registry);
        this.pool = new ExplainPool(options.explainThreads(), options.explainQueue(), options.explainQueueWait(),
                registry);
        this.budget = new MemoryBudget(options.admission().memoryBudgetBytes(), registry);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "prism-progress");
            t.setDaemon(true);
            return t;
        });
        this.callExecutor = Executors.newFixedThreadPool(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()),
                r -> {
                    Thread t = new Thread(r, "prism-grpc");
                    t.setDaemon(true);
                    return t;
                });
        ExplainRequestCodec codec = new ExplainRequestCodec(models, options.limits());
        // The last runs first: calls refused for want of a token are counted too.
        callInterceptors.add(new ErrorCounter(registry));
        callInterceptors.add(new MetricCollectingServerInterceptor(registry));
        this.answerWriter = Executors.newFixedThreadPool(ANSWER_WRITERS, r -> {
            Thread t = new Thread(r, "prism-answer");
            t.setDaemon(true);
            return t;
        });
        AnswerChannels channels = new AnswerChannels(timer, answerWriter, options.admission().streamStall(),
                new CancelledRequests(registry));
        this.explainService = new ExplainServiceImpl(codec, pool, budget, channels, models,
                new ExplanationMetrics(registry),
                new EvaluationSampler(options.evaluateSampleRate(), options.limits(), registry));
        ModelServiceImpl modelService = new ModelServiceImpl(models, reloader, pool, budget, channels, options.limits());
        OpenInferenceRepository repositoryExtension = new OpenInferenceRepository(reloader);
        // The services with their interceptors: served on the gRPC port and, for the HTTP/JSON
        // gateway, in process, so that both answer alike (admission, tokens, limits, metrics, errors).
        List<ServerServiceDefinition> services = List.of(
                ServerInterceptors.intercept(RequestParsing.parsedInCall(modelService), callInterceptors),
                ServerInterceptors.intercept(RequestParsing.parsedInCall(repositoryExtension.addedTo(
                        new OpenInferenceService(models, modelService, explainService, () -> !closed).bindService())),
                        callInterceptors),
                ServerInterceptors.intercept(RequestParsing.parsedInCall(repositoryExtension), callInterceptors),
                ServerInterceptors.intercept(RequestParsing.parsedInCall(explainService), callInterceptors),
                ServerInterceptors.intercept(RequestParsing.parsedInCall(new ExampleServiceImpl(models, pool, budget,
                        channels, options.limits())), callInterceptors));
        builder.executor(callExecutor).addStreamTracerFactory(new StreamReset());
        services.forEach(builder::addService);
        builder.addService(RequestParsing.parsedInCall(health.getHealthService()));
        if (security.reflectionAccess() != SecurityOptions.Reflection.OFF) {
            ReflectionServices.definitions(reflectionInterceptors).forEach(builder::addService);
        }
        this.server = builder.build().start();
        this.healthServer = security.healthPort() < 0 ? null : healthOnly(security);
        if (security.httpPort() < 0) {
            this.inProcess = null;
            this.gatewayChannel = null;
            this.http = null;
        } else {
            String name = "prism-http-" + UUID.randomUUID();
            InProcessServerBuilder local = InProcessServerBuilder.forName(name).executor(callExecutor)
                    .maxInboundMessageSize(options.limits().maxMessageBytes());
            local.addStreamTracerFactory(new StreamReset());
            services.forEach(local::addService);
            this.inProcess = local.build().start();
            this.gatewayChannel = InProcessChannelBuilder.forName(name).maxInboundMessageSize(Integer.MAX_VALUE)
                    .build();
            this.http = gateway(security, options.limits().maxMessageBytes());
        }
        health.setStatus("", ServingStatus.SERVING);
        health.setStatus(ModelServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
        health.setStatus(ExplainServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
        this.metricsHttp = options.metricsPort() < 0 ? null
                : new MetricsHttpServer(registry, security.metricsHost(), options.metricsPort());
    }

    /**
     * The health service on a port of its own, plaintext, without tokens: it tells whether the server
     * serves and nothing of its models, so it is as open as on the main port.
     */
    private Server healthOnly(SecurityOptions security) throws IOException {
        InetSocketAddress address = security.host() == null ? new InetSocketAddress(security.healthPort())
                : new InetSocketAddress(security.host(), security.healthPort());
        try {
            return NettyServerBuilder.forAddress(address).executor(callExecutor)
                    .maxConcurrentCallsPerConnection(options.admission().maxStreamsPerConnection())
                    .maxInboundMessageSize(HEALTH_MESSAGE_BYTES)
                    .addService(RequestParsing.parsedInCall(health.getHealthService())).build().start();
        } catch (IOException e) {
            server.shutdownNow();
            throw new IOException("cannot bind the health port " + security.healthPort() + ": " + e.getMessage(), e);
        }
    }

    /** The HTTP/JSON port, calling the in-process services; HTTPS with the gRPC port's certificate. */
    private HttpGateway gateway(SecurityOptions security, int maxBodyBytes) throws IOException {
        if (security.httpHost() != null && new InetSocketAddress(security.httpHost(), 0).isUnresolved()) {
            closeTransports();
            throw new IllegalArgumentException("--http-host '" + security.httpHost()
                    + "' does not resolve to an address");
        }
        HttpSettings.Tls tls = null;
        if (security.tls()) {
            ServerTls.KeyStores stores = ServerTls.keyStores(security);
            tls = new HttpSettings.Tls(stores.keys(), stores.password(), stores.trustedClients());
        }
        try {
            return HttpGateway.start(new HttpSettings(security.httpHost(), security.httpPort(), maxBodyBytes, tls),
                    gatewayChannel, new GatewayRules());
        } catch (IOException | RuntimeException e) {
            closeTransports();
            throw e;
        }
    }

    /** A start that failed at the HTTP port leaves no port or thread behind. */
    private void closeTransports() {
        gatewayChannel.shutdownNow();
        inProcess.shutdownNow();
        server.shutdownNow();
        if (healthServer != null) {
            healthServer.shutdownNow();
        }
    }

    /** The server's status mapping and method options, lent to the gateway. */
    private static final class GatewayRules implements HttpGateway.Rules {
        @Override
        public com.google.rpc.Status status(Throwable failure) {
            return StatusProto.fromThrowable(StatusMapper.toStatus(failure));
        }

        @Override
        public ExplainRequest.Builder explainRequest(String method, String methodField,
                                                     Map<String, InferParameter> options, String optionsField) {
            return MethodOptions.explain(method, methodField, options, optionsField);
        }
    }

    /** The tokens file, its tokens checked against the served models; null when there is no tokens file. */
    private static TokensFile tokens(SecurityOptions security, ModelRepository repository) {
        if (security.tokensFile() == null) {
            return null;
        }
        return new TokensFile(security.tokensFile(),
                repository.entries().stream().map(ModelRepository.Entry::name).collect(Collectors.toSet()));
    }

    /** Starts on the options' TCP port, plaintext and open to every caller. */
    public static PrismServer start(ServerOptions options) throws IOException {
        return start(options, SecurityOptions.NONE);
    }

    /**
     * Starts on the options' TCP port with TLS, tokens, reflection and the addresses to bind as the
     * security options say.
     */
    public static PrismServer start(ServerOptions options, SecurityOptions security) throws IOException {
        InetSocketAddress address = security.host() == null ? new InetSocketAddress(options.port())
                : new InetSocketAddress(security.host(), options.port());
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("host '" + security.host() + "' does not resolve to an address");
        }
        NettyServerBuilder builder = security.tls()
                ? NettyServerBuilder.forAddress(address, ServerTls.credentials(security))
                : NettyServerBuilder.forAddress(address);
        ServerOptions.Admission a = options.admission();
        if (!a.maxConnectionAge().isZero()) {
            builder.maxConnectionAge(a.maxConnectionAge().toNanos(), TimeUnit.NANOSECONDS);
            if (!a.maxConnectionAgeGrace().isZero()) {
                builder.maxConnectionAgeGrace(a.maxConnectionAgeGrace().toNanos(), TimeUnit.NANOSECONDS);
            }
        }
        return new PrismServer(options, security, builder.maxInboundMessageSize(options.limits().maxMessageBytes())
                        .maxConcurrentCallsPerConnection(options.admission().maxStreamsPerConnection()),
                runtimes(options));
    }

    /** Starts on a transport of the caller's choice (in-process in tests). */
    public static PrismServer start(ServerOptions options, ServerBuilder<?> builder) throws IOException {
        return start(options, builder, runtimes(options));
    }

    /** ONNX Runtime for model files, and a client for models on Open Inference Protocol backends. */
    private static ModelLoader runtimes(ServerOptions options) {
        return new OpenInferenceModelLoader(new OnnxModelLoader(options.intraOpThreads()));
    }

    /** Starts with models opened by the given loader instead of ONNX Runtime (models computed in Java, in tests). */
    public static PrismServer start(ServerOptions options, ServerBuilder<?> builder, ModelLoader loader) throws IOException {
        return new PrismServer(options, SecurityOptions.NONE, builder, loader);
    }

    public int port() {
        return server.getPort();
    }

    /** The address the gRPC port is bound to, or null on a transport without one (in-process). */
    public InetSocketAddress address() {
        return server.getListenSockets().stream().filter(InetSocketAddress.class::isInstance)
                .map(InetSocketAddress.class::cast).findFirst().orElse(null);
    }

    /** The HTTP/JSON port, or -1 when there is none. */
    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    /** The health-only port, or -1 when there is none. */
    public int healthPort() {
        return healthServer == null ? -1 : healthServer.getPort();
    }

    /** The metrics port, or -1 when the endpoint is off. */
    public int metricsPort() {
        return metricsHttp == null ? -1 : metricsHttp.port();
    }

    /** The address the metrics endpoint is bound to, or null when it is off. */
    public InetSocketAddress metricsAddress() {
        return metricsHttp == null ? null : metricsHttp.address();
    }

    /**
     * Rescans the model repository: new and changed folders are loaded beside what serves now and
     * swapped in, removed ones stop serving; a folder that fails to load is refused and its old
     * version keeps serving. Requests already running finish on the version they started with.
     */
    public ReloadResult reload() {
        return reloader.reload();
    }

    /** Reloads whenever the repository's files change, once they have been quiet for the debounce period. */
    public synchronized void watchModels(Duration debounce) throws IOException {
        if (watcher == null && !closed) {
            watcher = new RepositoryWatcher(options.modelRepository(), debounce, reloader::reload);
        }
    }

    /** The served models, whose versions tests look into. */
    ServedModels models() {
        return models;
    }

    /** The memory lent to requests, which tests watch. */
    MemoryBudget budget() {
        return budget;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (watcher != null) {
            watcher.close();
        }
        Duration grace = options.shutdownGrace();
        long deadline = System.nanoTime() + grace.toNanos();
        health.enterTerminalState();
        if (http != null) {
            // New HTTP requests are refused first; those running end as their in-process calls do.
            http.refuseNew();
            inProcess.shutdown();
        }
        server.shutdown();
        try {
            // Past the grace, what still runs answers UNAVAILABLE / SHUTTING_DOWN before the transport goes.
            pool.shutdown(grace, () -> explainService.cancelAll(dev.prism.error.Reason.SHUTTING_DOWN));
            // Every explanation has answered. What may remain are short unary calls and streams that
            // never end by themselves (health watches), which must not hold the process for the
            // rest of the grace: a short drain, then the transport goes.
            long left = Math.max(TimeUnit.SECONDS.toNanos(1),
                    Math.min(FINAL_DRAIN.toNanos(), deadline - System.nanoTime()));
            if (!server.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                server.shutdownNow();
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
        if (http != null) {
            http.close();
            gatewayChannel.shutdownNow();
            inProcess.shutdownNow();
        }
        if (healthServer != null) {
            // Health went NOT_SERVING first; the probes' port goes with the main one.
            healthServer.shutdownNow();
        }
        models.close();
        timer.shutdownNow();
        answerWriter.shutdownNow();
        callExecutor.shutdownNow();
        if (metricsHttp != null) {
            metricsHttp.close();
        }
        registry.close();
        LOG.log(System.Logger.Level.INFO, "Prism stopped");
    }
}
