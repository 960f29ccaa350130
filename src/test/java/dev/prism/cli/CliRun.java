package dev.prism.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** One {@code prism} command line run in this JVM, with what it printed. */
record CliRun(int exit, String out, String err) {

    static CliRun of(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int exit = new CommandLine(new PrismCli()).execute(args);
            return new CliRun(exit, o.toString(StandardCharsets.UTF_8), withoutAgentLines(e.toString(StandardCharsets.UTF_8)));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /**
     * The error stream without the lines the fuzzing agent prints when it instruments a class that
     * the command loads first (the fuzz pass runs in the same JVM as these tests).
     */
    private static String withoutAgentLines(String err) {
        return err.lines().filter(line -> !line.startsWith("INFO: Instrumented "))
                .map(line -> line + System.lineSeparator()).collect(java.util.stream.Collectors.joining());
    }
}
