package dev.prism;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The dependency directions of the layout, checked rather than hoped for. */
class ArchitectureTest {
    private static JavaClasses main;

    @BeforeAll
    static void importMain() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.prism");
    }

    @Test
    void explainersSeeNoTransportRuntimeOrProtobuf() {
        noClasses().that().resideInAnyPackage("dev.prism.explain..", "dev.prism.linalg..", "dev.prism.tensor..")
                .should().dependOnClassesThat().resideInAnyPackage("io.grpc..", "ai.onnxruntime..",
                        "com.google.protobuf..", "dev.prism.api..", "dev.prism.server..", "dev.prism.onnx..",
                        "dev.prism.batch..")
                .check(main);
    }

    @Test
    void onlyTheOnnxPackageTouchesOnnxRuntime() {
        noClasses().that().resideOutsideOfPackage("dev.prism.onnx..")
                .should().dependOnClassesThat().resideInAPackage("ai.onnxruntime..")
                .check(main);
    }

    @Test
    void onlyTheOnnxPackageReadsOnnxGraphs() {
        noClasses().that().resideOutsideOfPackage("dev.prism.onnx..")
                .should().dependOnClassesThat().resideInAPackage("ai.onnx..")
                .check(main);
    }

    @Test
    void onlyTheServerSpeaksGrpc() {
        noClasses().that().resideOutsideOfPackages("dev.prism.server..", "dev.prism.api..")
                .should().dependOnClassesThat().resideInAPackage("io.grpc..")
                .check(main);
    }

    @Test
    void theCoreDoesNotDependOnTheServer() {
        noClasses().that().resideOutsideOfPackage("dev.prism.server..")
                .should().dependOnClassesThat().resideInAPackage("dev.prism.server..")
                .check(main);
    }

    @Test
    void onlyTheStatusMapperBuildsStatuses() {
        noClasses().that().resideInAPackage("dev.prism.server..")
                .and().doNotHaveSimpleName("StatusMapper")
                .should().callMethod(io.grpc.protobuf.StatusProto.class, "toStatusRuntimeException",
                        com.google.rpc.Status.class)
                .check(main);
    }
}
