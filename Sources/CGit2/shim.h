#pragma once
#include <git2.h>

/*
 * Typed wrappers for libgit2's variadic `git_libgit2_opts`, which Swift cannot call. Only the options
 * XapiGit sets are wrapped. Strict hash verification and strict object creation stay at libgit2's
 * default (on), so they need no wrapper.
 */

/*
 * Sets where libgit2 looks for the configuration files of `level` (GIT_CONFIG_LEVEL_SYSTEM, _XDG, _GLOBAL
 * or _PROGRAMDATA). XapiGit passes "" for every level so that a mirror reads only its own `config`: a
 * user's `url.*.insteadOf`, `core.autocrlf` or `http.*` settings must not change which host a push goes to
 * or which bytes a commit stores.
 */
static inline int xapi_git_set_search_path(git_config_level_t level, const char *path)
{
    return git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, (int)level, path);
}
