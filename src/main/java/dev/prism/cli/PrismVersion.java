package dev.prism.cli;

import dev.prism.PrismBuild;
import picocli.CommandLine.IVersionProvider;

/** What {@code --version} prints on every command: the project version the build wrote into version.properties. */
final class PrismVersion implements IVersionProvider {
    static String version() {
        return PrismBuild.version();
    }

    @Override
    public String[] getVersion() {
        return new String[] {"prism " + version()};
    }
}
