package project

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"zhihui/internal/i18n"
	dom "zhihui/internal/project"
	"zhihui/internal/web/kit"
)

// The JSON API of publication (信息公开): which fields the public page
// shows, and publishing or withdrawing one project, with the page's
// readers and domain functions (which audit them).

// publishOf reads the page's publish field: "1" publishes, "0" (or
// nothing) withdraws.
func publishOf(v url.Values) (bool, error) {
	switch strings.TrimSpace(v.Get("publish")) {
	case "1", "true":
		return true, nil
	case "0", "false", "":
		return false, nil
	}
	return false, i18n.Errorf("publish 应为 1（公开）或 0（撤下）", "publish must be 1 (publish) or 0 (withdraw)").OnField("publish")
}

// publicationOut answers the published fields and those the office can
// choose from.
func (h handlers) publicationOut(w http.ResponseWriter, r *http.Request) error {
	fields, err := h.svc.PublishedFields(r.Context())
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"fields": fields, "available": dom.PublicFields})
}

func (h handlers) apiPublication(w http.ResponseWriter, r *http.Request) error {
	return h.publicationOut(w, r)
}

func (h handlers) apiSetPublication(w http.ResponseWriter, r *http.Request) error {
	var fields []string
	if kit.IsJSON(r) {
		var body struct {
			Fields []string `json:"fields"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			return i18n.Errorf("请求体应为 {\"fields\": [字段…]}：%v", "the request body must be {\"fields\": [field…]}: %v", err).OnField("fields")
		}
		fields = body.Fields
	} else {
		if err := r.ParseForm(); err != nil {
			return i18n.Errorf("表单无法读取：%v", "the form cannot be read: %v", err)
		}
		fields = r.PostForm["fields"]
	}
	if err := h.svc.SetPublishedFields(r.Context(), kit.Actor(r), fields); err != nil {
		return err
	}
	return h.publicationOut(w, r)
}

func (h handlers) apiPublish(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := apiValues(r, "publish")
	if err != nil {
		return err
	}
	on, err := publishOf(v)
	if err != nil {
		return err
	}
	if err := h.svc.PublishProject(r.Context(), kit.Actor(r), scopes(r, Offices), id, on); err != nil {
		return refuse(err)
	}
	pub, err := h.svc.PublishedIDs(r.Context(), []int64{id})
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"id": id, "published": pub[id]})
}
