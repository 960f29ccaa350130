package dev.prism.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ArenaReleaseTest {
    @Test
    void cudaRunsShrinkTheirGpuArenaToo() {
        assertEquals("cpu:0", ArenaRelease.arenas(ExecutionDevice.CPU));
        assertEquals("cpu:0;gpu:1", ArenaRelease.arenas(new ExecutionDevice(true, 1)));
    }
}
