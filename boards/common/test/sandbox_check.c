/* Host check of wasm_sandbox.h (test/sandbox.test.ts): a module whose only code is
 * `i32.store offset=200` and `i32.load offset=200` at an address the caller picks, translated by
 * wasm2c, rewritten by scripts/wasm2c-sandbox.mjs and built with one ASNET_SANDBOX variant. For
 * each address it prints "trap" (the trap unwound to our setjmp) or the index of linear memory the
 * store landed at, found by scanning the static array: a store that lands nowhere in it escaped the
 * sandbox, and the check says so. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "board.h"
#include "wasm_rt_static.h"
#include "m.h"

void board_fatal(const char *why) { printf("fatal %s\n", why); exit(1); }
void board_log(const char *line) { (void)line; }
uint32_t board_now_ms(void) { return 0; }
uint32_t board_random(void) { return 4; }

#define TOTAL (WASM_RT_STATIC_PAGES * 65536u + WASM_RT_STATIC_GUARD)
static const uint32_t marker = 0xA5C3E10Fu;

int main(int argc, char **argv)
{
    static Z_m_instance_t inst;
    wasm_rt_init();
    Z_m_init_module();
    Z_m_instantiate(&inst);
    for (int i = 1; i < argc; i++) {
        uint32_t addr = (uint32_t)strtoul(argv[i], NULL, 0);
        memset(wasm_rt_static_memory, 0, TOTAL);
        jmp_buf jb;
        wasm_rt_static_set_trap_target(&jb);
        if (setjmp(jb) != 0) { printf("%s trap\n", argv[i]); continue; }
        Z_mZ_store(&inst, addr, marker);
        uint32_t back = Z_mZ_load(&inst, addr);
        wasm_rt_static_set_trap_target(NULL);
        long at = -1;
        for (uint32_t k = 0; k + 4 <= TOTAL; k++) if (memcmp(wasm_rt_static_memory + k, &marker, 4) == 0) { at = (long)k; break; }
        if (at < 0 || back != marker) printf("%s ESCAPED\n", argv[i]);
        else printf("%s at %ld\n", argv[i], at);
    }
    return 0;
}
