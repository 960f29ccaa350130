package dev.prism.repository;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Keeps every file a model reads inside the model repository: a path is followed through its
 * symbolic links and refused when it ends outside, so a folder, model, config or background that
 * links elsewhere on the machine is a load error rather than a file served from there.
 */
final class RepositoryBounds {
    private final Path realRoot;

    RepositoryBounds(Path root) throws IOException {
        this.realRoot = root.toRealPath();
    }

    /** The real path of an existing file or folder inside the repository. */
    Path confine(Path path, String what) {
        Path real;
        try {
            real = path.toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " " + path + " cannot be resolved: " + e, e);
        }
        if (!real.startsWith(realRoot)) {
            throw new IllegalArgumentException(what + " " + path + " leads to " + real
                    + ", outside the model repository " + realRoot);
        }
        return real;
    }

    /** Whether an entry of that name exists, a dangling link included (it is then refused by {@link #confine}). */
    static boolean present(Path path) {
        return Files.exists(path, LinkOption.NOFOLLOW_LINKS);
    }

    /** A config's file name relative to its model folder: no absolute path, no {@code ..}. */
    static Path relativeInFolder(Path folder, String name, String what) {
        Path relative = Path.of(name);
        if (relative.isAbsolute() || containsParent(relative)) {
            throw new IllegalArgumentException(what + " '" + name + "' must be a path inside the model folder, "
                    + "without '..' and not absolute");
        }
        return folder.resolve(relative);
    }

    private static boolean containsParent(Path relative) {
        for (Path part : relative) {
            if (part.toString().equals("..")) {
                return true;
            }
        }
        return false;
    }
}
