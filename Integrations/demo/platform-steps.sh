# Sourced by run-demo: the same flow on GitLab, Bitbucket Cloud and Bitbucket Data Center.
# Uses run-demo's functions (step, run, xapi, xapi_expect) and variables ($binary, $labctl, $work,
# $revisions, $expires).

# Runs verify, sync, expire, refused sync, reconnect and sync again on one platform, then checks the
# pushed file with the git command line.
#
# usage: platform_flow PLATFORM INTEGRATION REPOSITORY GIT-USER|bearer TOKEN-KIND XAPI-CREDENTIAL-OPTIONS...
platform_flow() {
    local platform=$1 name=$2 repository=$3 git_user=$4 kind=$5
    shift 5
    local credential_options=("$@")
    local user="${name}-writer"
    local api="payments/${name}@2023-05"
    local file="$work/${name}.yaml"

    step "$platform: a token (kind $kind) and a repository it may push to"
    PLATFORM_TOKEN=$("$labctl" token add --platform "$platform" --user "$user" --kind "$kind" \
        --email "$user@example.com" --expires "$expires")
    export PLATFORM_TOKEN
    run "$labctl" repo add --platform "$platform" "$repository" --writer "$user"

    step "$platform: add and verify the integration"
    xapi integration add "$name" --platform "$platform" --base-url "$XAPI_LAB_URL/$platform" \
        --repo "$repository" --branch main --folder openapi --token-env PLATFORM_TOKEN "${credential_options[@]}"
    xapi integration verify "$name"
    xapi api add "$api"
    xapi api switch "$api" --integration "$name"

    step "$platform: sync revision 1"
    run cp "${revisions[0]}" "$file"
    xapi sync "$api" --file "$file"

    step "$platform: the token expires; the next sync is refused as expired (exit code 3)"
    printf '%s' "$PLATFORM_TOKEN" | "$labctl" token expire -
    run cp "${revisions[1]}" "$file"
    xapi_expect 3 sync "$api" --file "$file"

    step "$platform: reconnect with a new token, then sync again"
    PLATFORM_TOKEN=$("$labctl" token add --platform "$platform" --user "$user" --kind "$kind" \
        --email "$user@example.com" --expires "$expires")
    xapi integration reconnect "$name" --token-env PLATFORM_TOKEN --yes
    xapi sync "$api" --file "$file"

    step "$platform: the git command line sees the synced file byte-identical to its input"
    local clone="$work/clone-$name" askpass="$work/askpass-$name"
    printf '#!/bin/sh\ncase "$1" in Username*) echo "%s" ;; *) echo "$PLATFORM_TOKEN" ;; esac\n' "$git_user" > "$askpass"
    chmod 700 "$askpass"
    local url
    case "$platform" in
        bitbucket-dc) url="$XAPI_LAB_URL/bitbucket-dc/scm/$repository.git" ;;
        *) url="$XAPI_LAB_URL/$platform/$repository.git" ;;
    esac
    if [[ $git_user == bearer ]]; then
        # Project and repository tokens work only as a bearer header; git reads it from the environment,
        # so the token stays out of the command line.
        GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraHeader GIT_CONFIG_VALUE_0="Authorization: Bearer $PLATFORM_TOKEN" \
            GIT_SSL_CAINFO="$XAPI_GIT_CA_FILE" GIT_TERMINAL_PROMPT=0 git clone -q "$url" "$clone"
    else
        GIT_ASKPASS="$askpass" GIT_SSL_CAINFO="$XAPI_GIT_CA_FILE" GIT_TERMINAL_PROMPT=0 git clone -q "$url" "$clone"
    fi
    local ours theirs
    ours=$(git -C "$clone" hash-object --no-filters "openapi/${name}.yaml")
    theirs=$(git hash-object --no-filters "${revisions[1]}")
    echo "git hash-object of the input:        $theirs"
    echo "git hash-object of the synced file:  $ours"
    [[ "$ours" == "$theirs" ]] || { echo "demo: $platform holds a different file" >&2; exit 1; }
}

platform_flow gitlab payments-gitlab acme/apis/payments oauth2 personal
platform_flow bitbucket payments-bitbucket acme/payments x-bitbucket-api-token-auth api-token \
    --credential api-token --email payments-bitbucket-writer@example.com
platform_flow bitbucket-dc payments-dc PAY/payments bearer repository-token --credential repository-token
