/* nohandle.c names actions in its manifest but exports no starling_handle. */
#include <stdint.h>
#include <stdlib.h>

static const char manifest[] = "{\"controller\":\"x\",\"actions\":[\"a\"]}";

__attribute__((export_name("starling_abi_version"))) int32_t version(void) { return 1; }

__attribute__((export_name("starling_alloc"))) int32_t alloc(int32_t n)
{
	return (int32_t)(uintptr_t)malloc((size_t)n);
}

__attribute__((export_name("starling_manifest"))) int64_t get_manifest(void)
{
	return (int64_t)((uint64_t)(uintptr_t)manifest << 32 | (sizeof manifest - 1));
}
