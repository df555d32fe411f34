package cmp

import (
	"fmt"

	"github.com/gitless-dev/gitless/pkg/registry"
)

// refuseEmpty refuses a render that produced no objects (n bytes of manifests, zero when there are
// none), unless the policy that matched the artifact sets allowEmpty. Argo CD treats empty output as
// "the Application has no objects" and prunes every live one, so empty must be the zone's stated
// intent, not an accident of publishing the wrong directory. The decision rests on the policy alone:
// `publish --allow-empty` records the publisher's intent on the artifact, but the zone decides what it
// lets Argo CD delete.
func (p *Pipeline) refuseEmpty(env Env, n int) error {
	if n > 0 {
		return nil
	}
	refStr, err := env.ArtifactRef()
	if err != nil {
		return err
	}
	ref, err := registry.ParseReference(refStr)
	if err != nil {
		return err
	}
	policy, err := p.Config.PolicyForProject(ref.Name(), env.Project)
	if err != nil {
		return err
	}
	if policy.AllowEmpty {
		p.log().Warn("rendered no objects: Argo CD will prune the Application's live objects (allowEmpty policy)",
			"ref", refStr, "policy", policy.Match)
		return nil
	}
	return fmt.Errorf("%w: %s: Argo CD would prune every live object of the Application; publish the right "+
		"directory, or set allowEmpty: true in the policy %q if empty is intended", ErrEmptyRender, refStr, policy.Match)
}
