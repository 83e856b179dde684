{{- define "fedns.labels" -}}
app.kubernetes.io/name: fedns
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "fedns.selector" -}}
app.kubernetes.io/name: fedns
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
