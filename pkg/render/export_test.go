package render

// ChildEnvironForTest exposes the renderer child's environment to the external tests.
var ChildEnvironForTest = childEnviron
