// Giving the heap's free pages back to the kernel after a burst of work.
#pragma once

namespace warren {

// After a commit is applied the loader's, the diff's and the HTTP bodies' temporaries are free
// but glibc keeps most of their pages (in the main heap above its trim threshold, and in every
// thread's arena, which it never trims on its own), so RSS stays at the burst's peak. This hands
// them back (glibc's malloc_trim; nothing elsewhere). It walks the heap: call it after a full
// pass, not on every event.
void ReturnFreeMemory();

}  // namespace warren
