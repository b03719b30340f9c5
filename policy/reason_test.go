package policy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestReasonValues pins every Reason's text: it appears in Cache-Status
// detail and in logs, so it must not change.
func TestReasonValues(t *testing.T) {
	want := map[Reason]string{
		ReasonFresh: "fresh", ReasonMaxStale: "max-stale", ReasonStaleWhileRevalidate: "stale-while-revalidate",
		ReasonStaleIfError: "stale-if-error", ReasonNoRequest: "no-request", ReasonBypass: "bypass",
		ReasonMethod: "method", ReasonDoNotCache: "do-not-cache", ReasonMiss: "miss",
		ReasonForceRefresh: "force-refresh", ReasonHeadOnly: "head-only", ReasonOnlyIfCached: "only-if-cached",
		ReasonNoCacheRequest: "no-cache-request", ReasonRefresh: "refresh",
		ReasonExpireImmediately: "expire-immediately", ReasonAlwaysRevalidate: "always-revalidate",
		ReasonNoCache: "no-cache", ReasonRevalidate: "revalidate", ReasonMaxAgeRequest: "max-age-request",
		ReasonExpire: "expire", ReasonMinFreshRequest: "min-fresh-request", ReasonMustRevalidate: "must-revalidate",
		ReasonStale: "stale", ReasonStored: "stored", ReasonNoResponse: "no-response", ReasonStatus: "status",
		ReasonNoStoreRequest: "no-store-request", ReasonNoStore: "no-store", ReasonMustUnderstand: "must-understand",
		ReasonVaryStar: "vary-star", ReasonPrivate: "private", ReasonAuthorization: "authorization", ReasonSetCookie: "set-cookie",
		ReasonNoFreshness: "no-freshness", ReasonStaleNoValidator: "stale-no-validator", ReasonFilter: "filter",
		ReasonHead: "head", ReasonTooLarge: "too-large", ReasonNoRecord: "no-record",
		ReasonValidatorMismatch: "validator-mismatch", ReasonPartial: "partial", ReasonPartialContent: "partial-content",
	}
	for r, s := range want {
		if string(r) != s {
			t.Errorf("%s = %q, want %q", s, r, s)
		}
	}
	// Every constant of reason.go is pinned above (the map would also
	// have collapsed two constants with the same text).
	consts := reasonConsts(t)
	if len(consts) != len(want) {
		t.Errorf("reason.go declares %d reasons, %d pinned here: %v", len(consts), len(want), consts)
	}
}

// reasonConsts returns the names of the Reason constants in reason.go.
func reasonConsts(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "reason.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			names = append(names, s.(*ast.ValueSpec).Names[0].Name)
		}
	}
	return names
}

// TestReasonsOnlyInReasonGo keeps the set in one file: no Reason is
// written as a string literal elsewhere in the package (a Reason field,
// an assignment to one, or a return from a function returning Reason).
func TestReasonsOnlyInReasonGo(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if name == "reason.go" || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, lit := range reasonLiterals(f) {
			t.Errorf("%s: Reason written as the literal %s; use a constant of reason.go", fset.Position(lit.Pos()), lit.Value)
		}
	}
}

// reasonLiterals finds non-empty string literals given as a Reason.
func reasonLiterals(f *ast.File) []*ast.BasicLit {
	var out []*ast.BasicLit
	add := func(e ast.Expr) {
		if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING && lit.Value != `""` {
			out = append(out, lit)
		}
	}
	isReason := func(e ast.Expr) bool {
		switch e := e.(type) {
		case *ast.Ident:
			return e.Name == "Reason"
		case *ast.SelectorExpr:
			return e.Sel.Name == "Reason"
		}
		return false
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.KeyValueExpr:
			if isReason(n.Key) {
				add(n.Value)
			}
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if isReason(l) && i < len(n.Rhs) {
					add(n.Rhs[i])
				}
			}
		case *ast.FuncDecl:
			if n.Type.Results != nil && n.Body != nil && returnsReason(n.Type.Results, isReason) {
				for _, e := range returned(n.Body) {
					add(e)
				}
			}
		}
		return true
	})
	return out
}

func returnsReason(fl *ast.FieldList, isReason func(ast.Expr) bool) bool {
	for _, f := range fl.List {
		if isReason(f.Type) {
			return true
		}
	}
	return false
}

// returned lists the expressions body returns.
func returned(body *ast.BlockStmt) []ast.Expr {
	var out []ast.Expr
	ast.Inspect(body, func(n ast.Node) bool {
		if r, ok := n.(*ast.ReturnStmt); ok {
			out = append(out, r.Results...)
		}
		return true
	})
	return out
}
