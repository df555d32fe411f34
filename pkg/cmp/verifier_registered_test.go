package cmp_test

// Signatures are verified in the tests' process, as in kubectl-gitless and gitless-verify, which
// import this.
import _ "github.com/gitless-dev/gitless/pkg/cmp/verify"
