# Demo steps for the organization's workflows: roles, switching an API version to another platform,
# editing an integration through its review, state history and removal.
#
# run-demo sources this file near its end. It expects from run-demo: the functions step, run, xapi and
# xapi_expect, the variables $binary, $labctl and $work, a running lab (XAPI_LAB_URL, XAPI_GIT_CA_FILE),
# alice as the acting owner, the integration payments-github on acme/api-descriptions with a valid
# token in NEW_TOKEN, and the API version payments/stripe@2023-05 synced through it.

step "Members: ada is an admin, rita an API reviewer, eddie an editor, vera a viewer"
xapi member add ada --role admin
xapi member add rita --role reviewer
xapi member add eddie --role editor
xapi member add vera --role viewer
xapi member list

step "Only owners grant or take away the owner role (exit code 4), and the last owner stays (exit code 64)"
xapi_expect 4 member set-role alice viewer --as ada
xapi_expect 64 member set-role alice viewer --as alice

step "In the lab: a GitLab account, its token and a project it may push to"
ORG_GITLAB_TOKEN=$("$labctl" token add --platform gitlab --user org-gl-writer)
export ORG_GITLAB_TOKEN
run "$labctl" repo add --platform gitlab acme/reviews/api-descriptions --writer org-gl-writer

step "ada (admin) adds the GitLab integration; eddie (editor) may not (exit code 4)"
xapi_expect 4 integration add reviews-gitlab --platform gitlab --base-url "$XAPI_LAB_URL/gitlab" \
    --repo acme/reviews/api-descriptions --branch main --folder openapi --token-env ORG_GITLAB_TOKEN --as eddie
xapi integration add reviews-gitlab --platform gitlab --base-url "$XAPI_LAB_URL/gitlab" \
    --repo acme/reviews/api-descriptions --branch main --folder openapi --token-env ORG_GITLAB_TOKEN --as ada

step "eddie (editor) may not switch the API version's integration: exit code 4 names the roles that may"
xapi_expect 4 api switch payments/stripe@2023-05 --integration reviews-gitlab --as eddie

step "rita (API reviewer) switches it from GitHub to GitLab; the switch verifies GitLab first"
xapi api switch payments/stripe@2023-05 --integration reviews-gitlab --as rita

step "eddie (editor) may sync, vera (viewer) may only read (exit code 4)"
xapi_expect 4 sync payments/stripe@2023-05 --file "$spec" --as vera
xapi sync payments/stripe@2023-05 --file "$spec" --message "Sync to GitLab" --as eddie
xapi api show payments/stripe@2023-05 --as vera

step "In the lab: push a release branch to the GitHub repository with the git command line"
org_clone="$work/org-clone"
org_askpass="$work/org-askpass"
printf '#!/bin/sh\ncase "$1" in Username*) echo x-access-token ;; *) echo "$NEW_TOKEN" ;; esac\n' > "$org_askpass"
chmod 700 "$org_askpass"
# Runs the git command line with the lab's CA and the current GitHub token.
org_git() {
    GIT_ASKPASS="$org_askpass" GIT_SSL_CAINFO="$XAPI_GIT_CA_FILE" GIT_TERMINAL_PROMPT=0 git "$@"
}
org_git clone -q "$XAPI_LAB_URL/github/acme/api-descriptions.git" "$org_clone"
org_git -C "$org_clone" push -q origin main:refs/heads/release
org_git -C "$org_clone" ls-remote --heads origin

step "ada (admin) edits a branch that does not exist: the live check fails (exit code 6), nothing changes"
xapi_expect 6 integration edit payments-github --branch no-such-branch --yes --as ada

step "ada (admin) edits the branch to release: review side by side with a live check, then update"
xapi integration edit payments-github --branch release --yes --as ada
xapi integration show payments-github --history

step "Removing an integration needs an owner or admin; its APIs stay, with no integration"
xapi_expect 4 integration remove reviews-gitlab --yes --as rita
xapi integration remove reviews-gitlab --yes --as ada
xapi api show payments/stripe@2023-05
xapi integration list
