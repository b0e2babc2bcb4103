package project

import (
	"encoding/base64"
	"net/http"

	"zhihui/internal/i18n"
	dom "zhihui/internal/project"
	"zhihui/internal/web/kit"
)

// maxDocumentJSON bounds a document sent as JSON, its content in base64.
const maxDocumentJSON = (dom.MaxDocument+2)/3*4 + 1<<20

// apiDocument is a document as the API receives it in JSON.
type apiDocument struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Content string `json:"content"` // base64
}

// documentOf reads a document to add: the project page's multipart form
// (field file and kind) or, for the API, JSON {kind, name, content
// (base64)}. The domain checks the kind, name, size and content type.
func documentOf(r *http.Request) (kind, name string, data []byte, err error) {
	if kit.IsJSON(r) {
		var b apiDocument
		if err := kit.DecodeJSON(r, &b); err != nil {
			return "", "", nil, err
		}
		data, err := base64.StdEncoding.DecodeString(b.Content)
		if err != nil {
			return "", "", nil, i18n.Errorf("文件内容应为 base64 编码", "the content must be base64").OnField("content")
		}
		return b.Kind, b.Name, data, nil
	}
	name, data, err = kit.Upload(r, "file", dom.MaxDocument)
	return r.FormValue("kind"), name, data, err
}

// apiAddDocument stores a document for the current stage of a project in
// the caller's units: 201 {id, project} with the project as
// GET /api/v1/projects/{id} gives it.
func (h handlers) apiAddDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	// The project's scope first: a refusal never depends on the file.
	if _, err := h.svc.Get(r.Context(), scopes(r, Owners), id); err != nil {
		return refuse(err)
	}
	kind, name, data, err := documentOf(r)
	if err != nil {
		return err
	}
	did, err := h.svc.AddDocument(r.Context(), kit.Actor(r), scopes(r, Owners), id, kind, name, data)
	if err != nil {
		return refuse(err)
	}
	v, err := h.showData(r, id)
	if err != nil {
		return refuse(err)
	}
	out := projectBody(v)
	out["id"] = did
	return kit.JSON(w, http.StatusCreated, out)
}
