package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryBudgetTest {
    private static final long MIB = 1024 * 1024;

    @Test
    void reservationsAreCountedUntilReleasedOnce() {
        MemoryBudget budget = new MemoryBudget(64 * MIB, new SimpleMeterRegistry());
        MemoryBudget.Reservation a = budget.reserve(10 * MIB, "a");
        MemoryBudget.Reservation b = budget.reserve(20 * MIB, "b");
        assertEquals(30 * MIB, budget.reserved());
        a.release();
        a.release();
        assertEquals(20 * MIB, budget.reserved(), "a second release gives nothing back twice");
        b.release();
        assertEquals(0, budget.reserved());
    }

    @Test
    void whatDoesNotFitNowIsRefusedWithRetryInfoAndWhatNeverFitsAsOverBudget() {
        MemoryBudget budget = new MemoryBudget(64 * MIB, new SimpleMeterRegistry());
        PrismException never = assertThrows(PrismException.class, () -> budget.reserve(65 * MIB, "a huge request"));
        assertEquals(Reason.BUDGET_EXCEEDED, never.reason());
        assertTrue(never.getMessage().contains("a huge request needs about 65.0 MiB"), never.getMessage());

        MemoryBudget.Reservation held = budget.reserve(40 * MIB, "first");
        PrismException now = assertThrows(PrismException.class, () -> budget.reserve(30 * MIB, "second"));
        assertEquals(Reason.MEMORY_EXHAUSTED, now.reason());
        assertEquals(MemoryBudget.RETRY_AFTER, now.retryAfter());
        assertTrue(now.getMessage().contains("24.0 MiB of the server's 64.0 MiB are free"), now.getMessage());
        assertEquals(40 * MIB, budget.reserved(), "a refusal reserves nothing");
        held.release();
        budget.reserve(30 * MIB, "second").release();
    }

    /** Large requests fill at most 7/8 of the budget: small ones (at most 1/64 each) always find room. */
    @Test
    void aCrowdOfLargeRequestsLeavesRoomForSmallOnes() {
        MemoryBudget budget = new MemoryBudget(64 * MIB, new SimpleMeterRegistry());
        List<MemoryBudget.Reservation> large = new ArrayList<>();
        while (true) {
            try {
                large.add(budget.reserve(5 * MIB, "large"));
            } catch (PrismException e) {
                assertEquals(Reason.MEMORY_EXHAUSTED, e.reason());
                break;
            }
        }
        assertEquals(11, large.size(), "11 x 5 MiB fit under 56 MiB");
        for (int i = 0; i < 8; i++) {
            budget.reserve(MIB, "small"); // 1 MiB = 1/64: small
        }
        assertEquals(63 * MIB, budget.reserved());
        // One larger than 7/8 of the budget waits for all of it.
        large.forEach(MemoryBudget.Reservation::release);
        assertThrows(PrismException.class, () -> budget.reserve(60 * MIB, "whole"));
    }

    @Test
    void theDefaultIsHalfTheHeap() {
        MemoryBudget budget = new MemoryBudget(0, new SimpleMeterRegistry());
        assertEquals(Runtime.getRuntime().maxMemory() / 2, budget.capacity(), 1);
    }
}
