package dev.prism.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * The {@code prism} command: {@code serve} runs the server, {@code explain} asks one for an explanation,
 * {@code health} checks that one is serving, {@code reload} has it reload its models. Each takes
 * {@code --help} and {@code --version}.
 */
@Command(name = "prism", mixinStandardHelpOptions = true, versionProvider = PrismVersion.class,
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
