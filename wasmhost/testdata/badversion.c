/* badversion.c speaks an ABI this host does not. */
#include <stdint.h>
#include <stdlib.h>

__attribute__((export_name("starling_abi_version"))) int32_t version(void) { return 99; }

__attribute__((export_name("starling_alloc"))) int32_t alloc(int32_t n)
{
	return (int32_t)(uintptr_t)malloc((size_t)n);
}

__attribute__((export_name("starling_manifest"))) int64_t get_manifest(void) { return 0; }
