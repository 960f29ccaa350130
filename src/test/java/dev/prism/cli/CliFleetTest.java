package dev.prism.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.server.PrismServer;
import dev.prism.server.ServerOptions;
import io.micrometer.core.instrument.Counter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code prism explain} over three servers: a 3,000-instance job split into requests spread over
 * them, one server draining for shutdown mid-job; the answer equals one server's.
 */
class CliFleetTest {
    @TempDir
    Path dir;

    @Test
    void aJobOverThreeServersOneOfThemStoppingEqualsOneServersAnswer() throws Exception {
        Path csv = dir.resolve("flowers.csv");
        StringBuilder rows = new StringBuilder("sepal_length,sepal_width,petal_length,petal_width\n");
        for (int i = 0; i < 3000; i++) {
            rows.append(String.format(Locale.ROOT, "%.2f,%.2f,%.2f,%.2f%n", 4.5 + (i % 37) * 0.1,
                    2.0 + (i % 23) * 0.1, 1.0 + (i % 59) * 0.1, 0.1 + (i % 25) * 0.1));
        }
        Files.writeString(csv, rows);
        List<PrismServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                servers.add(PrismServer.start(ServerOptions.defaults(Path.of("models")).withPorts(0, -1)));
            }
            String one = "127.0.0.1:" + servers.get(0).port();
            CliRun single = CliRun.of("explain", "--target", one, "--model", "iris", "--method", "exact_shapley",
                    "--instances-csv", csv.toString(), "--chunk-rows", "3000");
            assertEquals(0, single.exit(), single.err());
            assertEquals(1 + 3000 * 3, single.out().strip().split("\n").length);
            double before = explained(servers.get(0));

            // The third server drains once it has answered two requests of the job.
            AtomicBoolean stopped = new AtomicBoolean();
            Thread stopper = new Thread(() -> {
                while (explained(servers.get(2)) < 2) {
                    Thread.onSpinWait();
                }
                servers.get(2).close();
                stopped.set(true);
            });
            stopper.start();
            String all = servers.stream().map(s -> "127.0.0.1:" + s.port()).reduce((a, b) -> a + "," + b).orElseThrow();
            CliRun fleet = CliRun.of("explain", "--target", all, "--model", "iris", "--method", "exact_shapley",
                    "--instances-csv", csv.toString(), "--chunk-rows", "50", "--concurrency", "3");
            stopper.join(60_000);
            assertEquals(0, fleet.exit(), fleet.err());
            assertTrue(stopped.get(), "the third server was not stopped mid-job");
            assertEquals(single.out(), fleet.out());
            assertTrue(fleet.err().contains("3,000/3,000 instances"), fleet.err());
            // Every server answered a share: 60 requests answered in all (a request the stopping server
            // refused was sent again), the stopped one at least its two.
            double first = explained(servers.get(0)) - before;
            double second = explained(servers.get(1));
            double third = explained(servers.get(2));
            assertTrue(first > 0 && second > 0 && third >= 2, first + " " + second + " " + third);
            assertEquals(60, first + second + third);
        } finally {
            servers.forEach(PrismServer::close);
        }
    }

    @Test
    void aListWithAnEntryThatIsNotHostAndPortCannotConnect() {
        CliRun r = CliRun.of("explain", "--target", "127.0.0.1:1,nonsense", "--model", "iris", "--instance",
                "5.1,3.5,1.4,0.2", "--deadline-seconds", "5");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("cannot connect to 127.0.0.1:1,nonsense"), r.err());
    }

    @Test
    void aCsvThatIsNotNumbersIsAUsageError() throws Exception {
        Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "a,b,c,d\n1,2,3,4\n5,six,7,8\n");
        CliRun r = CliRun.of("explain", "--model", "iris", "--instances-csv", csv.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("line 3: 'six' is not a number"), r.err());
        CliRun both = CliRun.of("explain", "--model", "iris", "--instances-csv", csv.toString(), "--instance", "1,2,3,4");
        assertEquals(2, both.exit(), both.err());
        assertTrue(both.err().contains("--instance or --instances-csv (one of them)"), both.err());
    }

    /** Explain requests the server has answered with an explanation. */
    private static double explained(PrismServer server) {
        return server.registry().find("prism.explanations").tag("status", "OK").counters().stream()
                .mapToDouble(Counter::count).sum();
    }
}
