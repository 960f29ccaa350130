package dev.prism.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code prism serve} in a JVM of its own, with a heap of the test's choosing and its output in a
 * file, for tests that must not risk the test JVM (memory attacks) or that look at the process.
 */
final class ServerProcess implements AutoCloseable {
    private static final Pattern READY = Pattern.compile("on port (\\d+)(?:, metrics on port (\\d+))?");

    final Process process;
    final Path log;
    final int port;
    final int metricsPort;

    private ServerProcess(Process process, Path log, int port, int metricsPort) {
        this.process = process;
        this.log = log;
        this.port = port;
        this.metricsPort = metricsPort;
    }

    /**
     * Starts and waits until it serves.
     *
     * @param jvm  options of the JVM (e.g. -Xmx256m)
     * @param args options of {@code prism serve} besides the ports
     */
    static ServerProcess start(Path dir, List<String> jvm, List<String> args) throws IOException, InterruptedException {
        return start(dir, List.of(), jvm, args);
    }

    /**
     * Starts, through a wrapper command that ends by running the rest (e.g. {@code bash -c 'trap ""
     * HUP; exec "$@"' bash}), and waits until it serves.
     */
    static ServerProcess start(Path dir, List<String> wrapper, List<String> jvm, List<String> args)
            throws IOException, InterruptedException {
        Path argfile = dir.resolve("java.args");
        Files.writeString(argfile, "-cp \"" + System.getProperty("java.class.path").replace("\\", "\\\\") + "\"\n");
        Path log = dir.resolve("prism.log");
        List<String> command = new ArrayList<>(wrapper);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvm);
        command.add("@" + argfile);
        command.addAll(List.of("dev.prism.cli.PrismCli", "serve", "--port", "0", "--metrics-port", "0",
                "--metrics-host", "127.0.0.1"));
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            Matcher m = READY.matcher(Files.readString(log, StandardCharsets.UTF_8));
            if (m.find()) {
                return new ServerProcess(process, log, Integer.parseInt(m.group(1)),
                        m.group(2) == null ? -1 : Integer.parseInt(m.group(2)));
            }
            if (!process.isAlive()) {
                throw new AssertionError("prism serve exited before it was ready:\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
        process.destroyForcibly();
        throw new AssertionError("prism serve was not ready within 120 s:\n" + Files.readString(log));
    }

    /** Everything the process has written so far. */
    String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** One sample of a Prometheus metric (first line starting with the series), scraped now. */
    double metric(String series) throws IOException, InterruptedException {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        String body = http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        for (String line : body.split("\n")) {
            if (line.startsWith(series + " ") || line.startsWith(series + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no series " + series + " in /metrics");
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
