// Command kubectl is kubectl as k8s.io/kubernetes/cmd/kubectl builds it, from the k8s.io/kubectl
// library at the version go.mod pins. scripts/install-tools.sh builds it when no kubectl is on PATH:
// the krew test needs kubectl's own plugin discovery. Its own module keeps k8s.io/kubectl out of the
// main module.
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
}
