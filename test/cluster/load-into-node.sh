#!/bin/sh
# skaffold's after-build hook in the stringsvc-node profile: copies the image skaffold just built
# from the node's Docker daemon into the node's containerd, where the kubelet looks (what
# `kind load docker-image` does for kind). skaffold deploys a local, unpushed build by the tag
# <name>:<image ID>, which it has set by the time this runs; that is the tag copied.
# Needs DOCKER_HOST and CONTAINERD_ADDRESS, both printed by `npm run cluster`.
set -eu
: "${SKAFFOLD_IMAGE:?run by skaffold as a build hook}"
: "${CONTAINERD_ADDRESS:?the node containerd socket; npm run cluster prints it}"
id=$(docker image inspect --format '{{.Id}}' "$SKAFFOLD_IMAGE")
ref="${SKAFFOLD_IMAGE%:*}:${id#sha256:}"
docker save "$ref" | ctr --namespace k8s.io images import -
echo "loaded $ref into the node"
