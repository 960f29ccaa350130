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
                        "com.google.protobuf..", "dev.prism.api..", "dev.prism.server..", "dev.prism.cli..",
                        "dev.prism.onnx..", "dev.prism.oip..", "dev.prism.batch..", "dev.prism.repository..")
                .check(main);
    }

    @Test
    void theModelTheSchedulerAndItsContractSeeNoTransportRuntimeOrProtobuf() {
        noClasses().that().resideInAnyPackage("dev.prism.model..", "dev.prism.runner..", "dev.prism.batch..")
                .should().dependOnClassesThat().resideInAnyPackage("io.grpc..", "ai.onnxruntime..",
                        "com.google.protobuf..", "dev.prism.api..", "dev.prism.server..", "dev.prism.cli..",
                        "dev.prism.onnx..", "dev.prism.oip..", "dev.prism.repository..", "dev.prism.explain..")
                .check(main);
    }

    @Test
    void theModelAbstractionKnowsNothingOfScheduling() {
        noClasses().that().resideInAPackage("dev.prism.model..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.prism.runner..", "dev.prism.batch..")
                .check(main);
    }

    @Test
    void explainersSeeTheSchedulerOnlyThroughItsContract() {
        noClasses().that().resideInAPackage("dev.prism.runner..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.prism.model..", "dev.prism.batch..")
                .check(main);
    }

    @Test
    void onlyTheEdgesReadProtobuf() {
        // The repository reads the config file (a protobuf text message); the ONNX loader reads the graph;
        // the Open Inference Protocol client writes and reads its messages; the HTTP gateway writes
        // them as JSON.
        noClasses().that().resideOutsideOfPackages("dev.prism.api..", "dev.prism.server..", "dev.prism.cli..",
                        "dev.prism.repository..", "dev.prism.onnx..", "dev.prism.oip..", "dev.prism.http..")
                .should().dependOnClassesThat().resideInAnyPackage("com.google.protobuf..", "dev.prism.api..")
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
        // The Open Inference Protocol package is a client of other servers, for models they serve; the
        // HTTP gateway is a client of the server's own services, in process.
        noClasses().that().resideOutsideOfPackages("dev.prism.server..", "dev.prism.cli..", "dev.prism.api..",
                        "dev.prism.oip..", "dev.prism.http..")
                .should().dependOnClassesThat().resideInAPackage("io.grpc..")
                .check(main);
    }

    @Test
    void theCoreDoesNotDependOnTheServer() {
        noClasses().that().resideOutsideOfPackages("dev.prism.server..", "dev.prism.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.prism.server..")
                .check(main);
    }

    @Test
    void onlyTheServerStartsTheHttpGateway() {
        // The gateway sees the server only through the gRPC services and the rules it is lent, so
        // that it cannot answer otherwise than they do (theCoreDoesNotDependOnTheServer keeps it so).
        noClasses().that().resideOutsideOfPackages("dev.prism.server..", "dev.prism.cli..", "dev.prism.http..")
                .should().dependOnClassesThat().resideInAPackage("dev.prism.http..")
                .check(main);
    }

    @Test
    void onlyTheHttpGatewayTouchesJetty() {
        noClasses().that().resideOutsideOfPackage("dev.prism.http..")
                .should().dependOnClassesThat().resideInAPackage("org.eclipse.jetty..")
                .check(main);
    }

    @Test
    void nothingDependsOnTheCommandLine() {
        noClasses().that().resideOutsideOfPackage("dev.prism.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.prism.cli..")
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
