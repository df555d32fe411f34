package config

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// ErrProjectNotAllowed is returned by PolicyForProject when the policy that covers a repository is
// scoped to Argo CD projects and the request's project is not among them, or the request names no
// project at all. With the plugin form an Application names its artifact itself, so without this
// check any Application could render any repository the sidecar can read (a confused deputy).
var ErrProjectNotAllowed = errors.New("project not allowed")

// ScopedCredentials is a credentials file that the sidecar uses for a registry (or mirror) only on
// behalf of Applications of the given Argo CD projects: another project's request never sends it, so
// the sidecar cannot fetch with one team's credentials what another team asked for.
type ScopedCredentials struct {
	// Projects are globs over Argo CD project names ("team-a", "team-*"); at least one is required.
	Projects []string `json:"projects"`
	// CredentialsFile is a Docker config.json style file.
	CredentialsFile string `json:"credentialsFile"`
}

// PolicyForProject returns the policy for repository as seen by an Application of project ("" when
// the request carries no project: an Argo CD that does not pass ARGOCD_APP_PROJECT_NAME, or a
// command run without --project). The first policy whose Match covers the repository decides, as in
// PolicyFor; when that policy has Projects, project must match one of them, or the request is
// refused with ErrProjectNotAllowed. A later, broader policy never stands in for a scoped one that
// refused: a scope is a promise about the repositories it covers.
func (c *Config) PolicyForProject(repository, project string) (*Policy, error) {
	p, err := c.policyFor(repository)
	if err != nil {
		return nil, err
	}
	if err := p.AllowsProject(repository, project); err != nil {
		return nil, err
	}
	return p, nil
}

// AllowsProject checks the policy's projects scope for a request of project on repository; a policy
// without Projects allows every request, one with Projects never allows a request without a project.
// The error names the project (or its absence), the repository and the policy.
func (p *Policy) AllowsProject(repository, project string) error {
	if len(p.Projects) == 0 {
		return nil
	}
	repository = normalizeRepository(repository)
	scope := strings.Join(p.Projects, ", ")
	if project == "" {
		return fmt.Errorf("%w: %s: the request names no Argo CD project, and the policy %q renders only for projects [%s]: "+
			"run under an Argo CD that passes ARGOCD_APP_PROJECT_NAME (3.x does), or give kubectl gitless --project",
			ErrProjectNotAllowed, repository, p.Match, scope)
	}
	if matchProject(p.Projects, project) {
		return nil
	}
	return fmt.Errorf("%w: project %q may not render %s: the policy %q renders only for projects [%s]: "+
		"name an artifact this project may use, or add the project to that policy's projects",
		ErrProjectNotAllowed, project, repository, p.Match, scope)
}

// CredentialsFileFor returns the credentials file to use on this endpoint on behalf of project: the
// first Credentials entry whose projects match it, else CredentialsFile ("" when neither applies).
// scoped reports whether the endpoint has scoped credentials at all; then an empty answer means
// "send none", never the caller's default credential store.
func (e Endpoint) CredentialsFileFor(project string) (file string, scoped bool) {
	if project != "" {
		for _, sc := range e.Credentials {
			if matchProject(sc.Projects, project) {
				return sc.CredentialsFile, true
			}
		}
	}
	return e.CredentialsFile, len(e.Credentials) > 0
}

// UnscopedTeams returns the repository groups ("host/first-segment") that the policies name when
// there are several of them and no policy has a projects scope: a configuration shared by several
// teams in which any Application may render any of those repositories. It returns nil otherwise.
func (c *Config) UnscopedTeams() []string {
	var groups []string
	for _, p := range c.Policies {
		if len(p.Projects) > 0 {
			return nil
		}
		if g, ok := repositoryGroup(p.Match); ok && !contains(groups, g) {
			groups = append(groups, g)
		}
	}
	if len(groups) < 2 {
		return nil
	}
	return groups
}

// repositoryGroup is a glob's host and first path segment when both are literal (a registry
// project or organisation: one team's repositories).
func repositoryGroup(glob string) (string, bool) {
	parts := strings.SplitN(glob, "/", 3)
	if len(parts) < 3 || strings.ContainsAny(parts[0]+parts[1], "*?") {
		return "", false
	}
	return parts[0] + "/" + parts[1], true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// matchProject reports whether project matches one of the globs (path.Match: "*" and "?").
func matchProject(globs []string, project string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, project); ok {
			return true
		}
	}
	return false
}

// validateProjects checks a projects scope as written in the document: when present, non-empty, and
// every glob valid.
func validateProjects(projects []string) error {
	if projects != nil && len(projects) == 0 {
		return errors.New("projects is empty: list the Argo CD projects (globs) it applies to, or remove projects to apply to all")
	}
	for _, g := range projects {
		if g == "" {
			return errors.New("projects: an empty name matches no project")
		}
		if _, err := path.Match(g, ""); err != nil {
			return fmt.Errorf("projects: %q: %w", g, err)
		}
	}
	return nil
}

// validateCredentials checks an endpoint's scoped credentials.
func validateCredentials(creds []ScopedCredentials) error {
	var errs []error
	for i, sc := range creds {
		if len(sc.Projects) == 0 {
			errs = append(errs, fmt.Errorf("credentials[%d]: projects is required (use credentialsFile for every project)", i))
		} else if err := validateProjects(sc.Projects); err != nil {
			errs = append(errs, fmt.Errorf("credentials[%d]: %w", i, err))
		}
		if sc.CredentialsFile == "" {
			errs = append(errs, fmt.Errorf("credentials[%d]: credentialsFile is required", i))
		}
	}
	return errors.Join(errs...)
}
