# shellcheck shell=bash
# Zones step of make demo (issue 9), to be sourced by scripts/demo.sh after the hub is published and
# signed. Uses demo.sh's DEMO, HUB, ZONE, start_registry, step and kg; starts a second zone registry
# and an oci-layout air gap, replicates with a zones file (the locked images of apps/web included),
# promotes a release by a signed tag, and ends with status showing every zone in sync, images too (exit 0).
ZONE_B_PORT=${GITLESS_DEMO_ZONE_B_PORT:-5803}
ZONE_B=127.0.0.1:$ZONE_B_PORT
start_registry zone-b "$ZONE_B_PORT"

step "replicate a rule set to three zones (two registries and an air-gap directory), by digest with signatures, images first"
cat > "$DEMO/zones.yaml" <<YAML
apiVersion: gitless.dev/v1alpha1
kind: Replication
hub: {registry: "$HUB", plainHTTP: true}
images: true # each artifact's locked images go first, under the zone's images prefix (the air gap: its layouts)
zones:
  - {name: zone-a, registry: "$ZONE", plainHTTP: true, images: "$ZONE/mirror"}
  - {name: zone-b, registry: "$ZONE_B", plainHTTP: true, images: "$ZONE_B/mirror"}
  - {name: airgap, registry: "oci-layout:$DEMO/airgap"}
rules:
  - repositories: ["platform/**", "apps/**"]
    versions: ">=1.0 <2"
  - repositories: ["platform/**"]
    tags: [prod, latest]
YAML
kg replicate -f "$DEMO/zones.yaml" --dry-run
kg replicate -f "$DEMO/zones.yaml"

step "promote 1.4.0 to prod: a tag on the existing digest, its binding signed (nothing re-uploaded)"
kg tag "$HUB/platform/guestbook:1.4.0" prod --plain-http --sign --key "$DEMO/keys/cosign.key"

step "replicate again: only the new tag and its signature travel"
kg replicate -f "$DEMO/zones.yaml"

step "status: every zone serves the hub's digests with signatures that verify, and every locked image (exit 0)"
for t in 1.4.0 latest prod; do # the tags the rules replicate (the hub's :rogue is not one of them)
  kg status "$HUB/platform/guestbook:$t" --plain-http -f "$DEMO/zones.yaml" --key "$DEMO/keys/cosign.pub"
done
kg status "$HUB/apps/web" --plain-http -f "$DEMO/zones.yaml" --key "$DEMO/keys/cosign.pub"
