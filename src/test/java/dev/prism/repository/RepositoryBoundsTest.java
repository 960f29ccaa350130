package dev.prism.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.onnx.OnnxModelLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model files are read from inside the repository only: links leading out, '..' and absolute names are refused. */
class RepositoryBoundsTest {
    private static final Path LINEAR = Path.of("src/test/resources/models/linear/model.onnx");

    @TempDir
    Path dir;
    private Path repo;
    private Path outside;

    @BeforeEach
    void layout() throws IOException {
        repo = Files.createDirectories(dir.resolve("repo"));
        outside = Files.createDirectories(dir.resolve("outside"));
        Files.copy(LINEAR, outside.resolve("model.onnx"));
        Files.writeString(outside.resolve("background.csv"), "1,2,3,4,5\n");
        Files.writeString(outside.resolve("config.pbtxt"), "output_names: [\"score\"]\n");
    }

    private ModelRepository load() throws IOException {
        return ModelRepository.load(repo, new OnnxModelLoader(1), "cpu", s -> s);
    }

    /** A model folder "lin" in the repository holding a copy of the linear model. */
    private Path linear() throws IOException {
        Path folder = Files.createDirectories(repo.resolve("lin"));
        Files.copy(LINEAR, folder.resolve("model.onnx"));
        return folder;
    }

    private String refusal() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, this::load);
        return e.getMessage();
    }

    @Test
    void aModelFolderLinkedOutsideIsRefusedByName() throws IOException {
        linear();
        Files.createSymbolicLink(repo.resolve("elsewhere"), outside);
        String message = refusal();
        assertTrue(message.startsWith("model 'elsewhere'"), message);
        assertTrue(message.contains("outside the model repository"), message);
    }

    @Test
    void aModelFileLinkedOutsideIsRefused() throws IOException {
        Path folder = Files.createDirectories(repo.resolve("lin"));
        Files.createSymbolicLink(folder.resolve("model.onnx"), outside.resolve("model.onnx"));
        String message = refusal();
        assertTrue(message.contains("model file"), message);
        assertTrue(message.contains("outside the model repository"), message);
    }

    @Test
    void aBackgroundLinkedOutsideIsRefused() throws IOException {
        Path folder = linear();
        Files.createSymbolicLink(folder.resolve("background.csv"), outside.resolve("background.csv"));
        String message = refusal();
        assertTrue(message.contains("background file"), message);
        assertTrue(message.contains("outside the model repository"), message);
    }

    @Test
    void aConfigLinkedOutsideIsRefused() throws IOException {
        Path folder = linear();
        Files.createSymbolicLink(folder.resolve("config.pbtxt"), outside.resolve("config.pbtxt"));
        String message = refusal();
        assertTrue(message.contains("config"), message);
        assertTrue(message.contains("outside the model repository"), message);
    }

    @Test
    void aDanglingBackgroundLinkIsRefusedNotIgnored() throws IOException {
        Path folder = linear();
        Files.createSymbolicLink(folder.resolve("background.csv"), dir.resolve("missing.csv"));
        assertTrue(refusal().contains("cannot be resolved"));
    }

    @Test
    void aBackgroundFileWithDotDotIsRefusedEvenInsideTheRepository() throws IOException {
        Path folder = linear();
        Files.writeString(repo.resolve("shared.csv"), "1,2,3,4,5\n");
        Files.writeString(folder.resolve("config.pbtxt"), "background_file: \"../shared.csv\"\n");
        String message = refusal();
        assertTrue(message.contains("background_file '../shared.csv' must be a path inside the model folder"), message);
    }

    @Test
    void anAbsoluteBackgroundFileIsRefused() throws IOException {
        Path folder = linear();
        String absolute = outside.resolve("background.csv").toAbsolutePath().toString();
        Files.writeString(folder.resolve("config.pbtxt"), "background_file: \"" + absolute + "\"\n");
        assertTrue(refusal().contains("not absolute"));
    }

    @Test
    void linksThatStayInsideTheRepositoryServe() throws IOException {
        Path shared = Files.createDirectories(repo.resolve("shared"));
        Files.copy(LINEAR, shared.resolve("linear.onnx"));
        Files.writeString(shared.resolve("rows.csv"), "1,2,3,4,5\n6,7,8,9,10\n");
        Path folder = Files.createDirectories(repo.resolve("lin"));
        Files.createSymbolicLink(folder.resolve("model.onnx"), Path.of("..", "shared", "linear.onnx"));
        Files.createSymbolicLink(folder.resolve("background.csv"), shared.resolve("rows.csv"));
        Files.createSymbolicLink(repo.resolve("alias"), folder);
        try (ModelRepository models = load()) {
            assertEquals(List.of("alias", "lin"), models.entries().stream().map(ModelRepository.Entry::name).toList());
            assertEquals(2, models.find("lin").orElseThrow().defaultBackground().orElseThrow().size());
        }
    }
}
