package dev.prism.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * The {@code prism} command: {@code serve} runs the server, {@code explain} asks one for an explanation,
 * {@code health} checks that one is serving.
 */
@Command(name = "prism", mixinStandardHelpOptions = true, version = "prism 0.1.0",
        description = "Explains the predictions of ONNX models over gRPC.",
        subcommands = {ServeCommand.class, ExplainCommand.class, HealthCommand.class, ReloadCommand.class})
public final class PrismCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new PrismCli()).execute(args));
    }
}
