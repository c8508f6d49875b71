"""SynthTalk's rasterizer: moderngl on an EGL standalone context (Mesa llvmpipe on a CPU, NVIDIA EGL on a GPU).

A real triangle rasterizer (not a Gaussian splatter) so no method's own renderer is the world's. Each frame
is drawn once into three multisampled targets (MRT): shaded colour (procedural skin, hair, eye and cloth
textures in the fragment shader), head/torso coverage (resolved to the majority label per pixel) and
camera depth.
"""

from __future__ import annotations

import numpy as np

from ggtalker.core.clip import Cameras
from ggtalker.synth.gl import gl_context, gl_projection, vertex_normals
from ggtalker.synth.head import MAT_BACKGROUND, MAT_MOUTH, MAT_TEETH, HeadModel, _sphere, smooth_field
from ggtalker.synth.identity import Identity

_VS = """
#version 330
uniform mat4 u_mvp;
in vec3 in_pos; in vec3 in_nrm; in vec3 in_alb; in vec3 in_tex; in float in_mat; in float in_lab; in float in_aux; in vec2 in_vis;
out vec3 v_pos; out vec3 v_nrm; out vec3 v_alb; out vec3 v_tex; flat out int v_mat; flat out float v_lab; out float v_aux; out vec2 v_vis;
void main() {
    v_pos = in_pos; v_nrm = in_nrm; v_alb = in_alb; v_tex = in_tex; v_mat = int(in_mat + 0.5); v_lab = in_lab; v_aux = in_aux;
    v_vis = in_vis;
    gl_Position = u_mvp * vec4(in_pos, 1.0);
}
"""

_FS_COLOR = """
#version 330
in vec3 v_pos; in vec3 v_nrm; in vec3 v_alb; in vec3 v_tex; flat in int v_mat; flat in float v_lab; in float v_aux;
in vec2 v_vis;  // baked ambient occlusion (x) and soft key-light visibility (y), see synth/occlusion.py
uniform vec3 u_cam; uniform vec3 u_key; uniform vec3 u_fill; uniform vec3 u_rim;
uniform float u_pores; uniform float u_seed;
uniform vec3 u_iris;
uniform mat4 u_view;
layout(location = 0) out vec4 f_color;
layout(location = 1) out vec4 f_label;   // coverage of head (r) and torso (g): resolves to per-pixel fractions
layout(location = 2) out float f_depth;  // camera-space z (negative in front of the camera)

float hash(vec3 p) { p = fract(p * 0.3183099 + vec3(0.1, 0.2, 0.3) + u_seed); p *= 17.0;
                     return fract(p.x * p.y * p.z * (p.x + p.y + p.z)); }
float noise(vec3 x) {
    vec3 i = floor(x); vec3 f = fract(x); f = f * f * (3.0 - 2.0 * f);
    return mix(mix(mix(hash(i), hash(i + vec3(1,0,0)), f.x), mix(hash(i + vec3(0,1,0)), hash(i + vec3(1,1,0)), f.x), f.y),
               mix(mix(hash(i + vec3(0,0,1)), hash(i + vec3(1,0,1)), f.x), mix(hash(i + vec3(0,1,1)), hash(i + vec3(1,1,1)), f.x), f.y), f.z);
}
vec3 lin(vec3 c) { return pow(max(c, vec3(0.0)), vec3(2.2)); }

void main() {
    f_label = vec4(v_lab > 0.5 && v_lab < 1.5 ? 1.0 : 0.0, v_lab > 1.5 ? 1.0 : 0.0, 0.0, 1.0);
    f_depth = (u_view * vec4(v_pos, 1.0)).z;
    vec3 V = normalize(u_cam - v_pos);
    if (v_mat == 8) {  // background: colours baked on the backdrop sphere's vertices, plus grain
        f_color = vec4(v_alb * (0.94 + 0.06 * noise(normalize(v_tex) * 60.0)), 1.0);
        return;
    }
    vec3 N = normalize(v_nrm);
    if (dot(N, V) < 0.0) N = -N;   // double-sided shells (lids, hair, ears)
    vec3 alb = lin(v_alb);
    float spec_k = 0.0, shin = 16.0, wrap = 0.0, amb = 0.22;
    if (v_mat == 0 || v_mat == 1 || v_mat == 2 || v_mat == 9) {  // skin, lips, brows, lids
        // Low-frequency tone and the freckle map are baked per vertex (v_aux); only fine detail is per pixel.
        vec3 p = v_tex;
        float pore = noise(p * 1400.0);
        alb *= 1.0 - 0.12 * u_pores * smoothstep(0.5, 0.9, pore);
        float fr = noise(p * 380.0 + 7.0);
        alb = mix(alb, alb * vec3(0.62, 0.45, 0.35), v_aux * smoothstep(0.68, 0.8, fr));
        if (v_mat == 2) alb *= 0.75 + 0.5 * noise(vec3(p.x * 2500.0, p.y * 400.0, p.z * 2500.0));
        spec_k = ((v_mat == 1) ? 0.22 : 0.09) * (1.0 - 0.5 * u_pores * pore); shin = (v_mat == 1) ? 40.0 : 22.0; wrap = 0.35;
    } else if (v_mat == 3) {  // hair: strands along the fall direction
        vec3 p = v_tex;
        float s = noise(vec3(p.x * 1800.0, p.y * 200.0, p.z * 1800.0));
        alb *= 0.55 + 0.45 * s + 0.25 * (v_aux - 0.5);
        spec_k = 0.12; shin = 12.0; wrap = 0.2;
    } else if (v_mat == 4) {  // eyeball: sclera, iris, pupil from the eye-frame direction
        vec3 d = normalize(v_tex);
        float r = acos(clamp(d.z, -1.0, 1.0));
        vec3 sclera = vec3(0.86, 0.84, 0.82) * (1.0 - 0.25 * smoothstep(0.9, 1.6, r));
        float ang = atan(d.y, d.x);
        vec3 iris = u_iris * (0.7 + 0.6 * noise(vec3(ang * 8.0, r * 30.0, 1.0)));
        iris *= 1.0 - 0.6 * smoothstep(0.36, 0.45, r);
        vec3 c = mix(sclera, lin(iris), 1.0 - smoothstep(0.44, 0.47, r));
        c = mix(c, vec3(0.01), 1.0 - smoothstep(0.16, 0.19, r));
        alb = c; spec_k = 0.9; shin = 120.0; amb = 0.3;
    } else if (v_mat == 5) {  // teeth
        spec_k = 0.25; shin = 30.0; amb = 0.35;
    } else if (v_mat == 6) {  // mouth interior: little light reaches it
        alb *= 0.55; spec_k = 0.05; amb = 0.12;
    } else if (v_mat == 7) {  // cloth: a fine weave
        alb *= 0.9 + 0.1 * noise(v_tex * 1500.0) + 0.2 * (v_aux - 0.5);
        wrap = 0.1;
    }
    vec3 L1 = normalize(u_key), L2 = normalize(u_fill), L3 = normalize(u_rim);
    float d1 = max((dot(N, L1) + wrap) / (1.0 + wrap), 0.0);
    float d2 = max((dot(N, L2) + wrap) / (1.0 + wrap), 0.0);
    float d3 = max(dot(N, L3), 0.0);
    float ao = v_vis.x, kv = v_vis.y;
    d1 *= kv; d2 *= mix(1.0, ao, 0.7); d3 *= ao; amb *= ao;
    vec3 H = normalize(L1 + V);
    float sp = spec_k * pow(max(dot(N, H), 0.0), shin) * kv;
    vec3 sky = mix(vec3(0.55, 0.5, 0.45), vec3(0.8, 0.85, 0.95), 0.5 + 0.5 * N.y);
    vec3 col = alb * (vec3(1.0, 0.96, 0.9) * 1.05 * d1 + vec3(0.65, 0.72, 0.85) * 0.35 * d2 + 0.25 * d3 + amb * sky)
               + sp * vec3(1.0, 0.97, 0.92);
    if (v_mat == 0 || v_mat == 1) {  // a hint of subsurface red where light wraps
        col += alb * vec3(0.12, 0.02, 0.0) * smoothstep(0.0, 0.4, d1) * (1.0 - d1);
    }
    f_color = vec4(pow(clamp(col, 0.0, 1.0), vec3(1.0 / 2.2)), 1.0);
}
"""

_CV2GL = np.diag([1.0, -1.0, -1.0, 1.0])


def backdrop_colours(identity: Identity, dirs: np.ndarray) -> np.ndarray:
    """Backdrop colours ``(B, 3)`` for unit directions ``(B, 3)``: two colours mixed by a smooth random field."""
    t = 0.5 + 0.25 * smooth_field(dirs * 0.8, identity.seed + 17) + 0.3 * dirs[:, 1]
    t = np.clip(t, 0, 1)[:, None]
    t = t * t * (3 - 2 * t)
    return np.asarray(identity.background2) * (1 - t) + np.asarray(identity.background) * t


def key_light(identity: Identity) -> np.ndarray:
    """Unit direction ``(3,)`` towards an identity's key light (world frame, +z towards the frontal camera)."""
    az, el = np.radians(identity.light_azimuth), np.radians(identity.light_elevation)
    return np.array([np.cos(el) * np.sin(az), np.sin(el), np.cos(el) * np.cos(az)])


def head_visibility(model: HeadModel) -> np.ndarray:
    """The head's baked ``(V, 2)`` ambient occlusion and key-light visibility (cached on the model).

    Mouth interior and teeth keep 1: their rest pose is closed, so a bake would leave an open mouth black;
    their materials carry their own low ambient instead.
    """
    if getattr(model, "_visibility", None) is None:
        from ggtalker.synth.occlusion import bake_visibility

        vis = bake_visibility(model, key_light(model.identity))
        vis[np.isin(model.material, (MAT_TEETH, MAT_MOUTH))] = 1.0
        model._visibility = vis
    return model._visibility


def default_samples() -> int:
    """MSAA samples for this GL device: 4 on a GPU; 0 (2x2 supersampling instead) on Mesa's llvmpipe CPU renderer."""
    return 0 if "llvmpipe" in gl_context().info["GL_RENDERER"].lower() else 4


class Renderer:
    """Renders one :class:`HeadModel` at a fixed image size.

    Args:
        model: the head to draw.
        width, height: output size in pixels.
        samples: MSAA samples; 0 selects 2x2 supersampling; None picks per device (see default_samples).
    """

    def __init__(self, model: HeadModel, width: int, height: int, samples: int | None = None) -> None:
        self.model, self.width, self.height = model, int(width), int(height)
        ctx = gl_context()
        self.ctx = ctx
        if samples is None:
            samples = default_samples()
        # samples > 1: MSAA; samples == 0 or 1: 2x2 supersampling (llvmpipe's MSAA costs more than 4x the pixels).
        self.ss = 1 if samples > 1 else 2
        self.samples = samples if samples > 1 else 0
        self.prog = ctx.program(vertex_shader=_VS, fragment_shader=_FS_COLOR)
        idn = model.identity
        bg_p, bg_f, bg_d = _sphere(3.0, 96, 48)
        self._n_head = model.n_vertices
        nb = len(bg_p)
        self.faces = np.concatenate([model.faces, bg_f + self._n_head]).astype(np.int32)
        static = np.concatenate([
            np.concatenate([model.albedo, model.tex, model.material[:, None], model.label[:, None].astype(np.float32),
                            model.aux[:, None], head_visibility(model)], 1),
            np.concatenate([backdrop_colours(idn, bg_d), bg_d, np.full((nb, 1), MAT_BACKGROUND), np.zeros((nb, 1)),
                            np.zeros((nb, 1)), np.ones((nb, 2))], 1),
        ]).astype(np.float32)
        self._bg_pos = bg_p.astype(np.float32)
        self._bg_nrm = (-bg_d).astype(np.float32)
        self.vbo_static = ctx.buffer(static.tobytes())
        self.vbo_dyn = ctx.buffer(reserve=(self._n_head + nb) * 6 * 4)
        self.ibo = ctx.buffer(self.faces.tobytes())
        fmt = [(self.vbo_dyn, "3f 3f", "in_pos", "in_nrm"), (self.vbo_static, "3f 3f 1f 1f 1f 2f", "in_alb", "in_tex", "in_mat", "in_lab", "in_aux", "in_vis")]
        self.vao = ctx.vertex_array(self.prog, fmt, index_buffer=self.ibo, skip_errors=True)
        size = (self.width * self.ss, self.height * self.ss)

        # One pass writes colour, label coverage and depth (MRT); the MSAA resolve anti-aliases all three.
        def attachments(samples: int) -> list:
            return [ctx.renderbuffer(size, 4, samples=samples), ctx.renderbuffer(size, 4, samples=samples),
                    ctx.renderbuffer(size, 1, samples=samples, dtype="f4")]

        try:
            self.fbo_ms = ctx.framebuffer(attachments(self.samples), ctx.depth_renderbuffer(size, samples=self.samples))
        except Exception:  # noqa: BLE001 - drivers without MSAA fall back to aliased rendering
            self.fbo_ms = ctx.framebuffer(attachments(0), ctx.depth_renderbuffer(size))
        self.fbo_res = ctx.framebuffer(attachments(0))
        # Lights in the world frame (fixed per identity), so shading is consistent across views.
        key = key_light(idn)
        az = np.radians(idn.light_azimuth)
        fill = np.array([-0.7 * np.sign(az + 1e-6), 0.1, 0.7])
        rim = np.array([0.3 * np.sign(az + 1e-6), 0.5, -0.8])
        for name, val in (("u_key", key), ("u_fill", fill), ("u_rim", rim), ("u_iris", idn.iris)):
            self.prog[name].value = tuple(float(v) for v in val)
        self.prog["u_pores"].value = float(idn.pores)
        self.prog["u_seed"].value = float((idn.seed * 0.1234567) % 1.0)

    def render(self, verts: np.ndarray, cameras: Cameras, normals: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draw frames.

        Args:
            verts: ``(N, V, 3)`` posed vertices from :meth:`HeadModel.vertices`.
            cameras: N cameras.
            normals: optional ``(N, V, 3)``; computed when omitted.
        Returns:
            frames ``(N, H, W, 3)`` uint8, labels ``(N, H, W)`` uint8, depth ``(N, H, W)`` float32 metres along
            the camera axis (NaN where only background).
        """
        n = len(verts)
        if len(cameras) != n:
            raise ValueError(f"{n} frames of vertices but {len(cameras)} cameras")
        if normals is None:
            normals = vertex_normals(verts, self.model.faces)
        H, W = self.height, self.width
        frames = np.empty((n, H, W, 3), np.uint8)
        labels = np.empty((n, H, W), np.uint8)
        depth = np.empty((n, H, W), np.float32)
        ctx = self.ctx
        ctx.enable(ctx.DEPTH_TEST)
        ctx.disable(ctx.CULL_FACE)
        for i in range(n):
            dyn = np.concatenate([
                np.concatenate([verts[i], normals[i]], 1),
                np.concatenate([self._bg_pos + cameras.centers[i].astype(np.float32) * 0, self._bg_nrm], 1),
            ]).astype(np.float32)
            self.vbo_dyn.write(dyn.tobytes())
            view = _CV2GL @ cameras.w2c[i].astype(np.float64)
            mvp = gl_projection(cameras.K[i], W, H) @ view
            self.prog["u_mvp"].write(mvp.T.astype("f4").tobytes())
            self.prog["u_cam"].value = tuple(float(v) for v in cameras.centers[i])
            self.prog["u_view"].write(view.T.astype("f4").tobytes())
            self.fbo_ms.use()
            self.fbo_ms.clear(0, 0, 0, 1, depth=1.0)
            self.vao.render()
            ctx.copy_framebuffer(self.fbo_res, self.fbo_ms)
            f = self.ss
            img = np.frombuffer(self.fbo_res.read(components=3, attachment=0), np.uint8).reshape(H * f, W * f, 3)
            cov = np.frombuffer(self.fbo_res.read(components=2, attachment=1), np.uint8).reshape(H * f, W * f, 2)
            dep = np.frombuffer(self.fbo_res.read(components=1, attachment=2, dtype="f4"), np.float32).reshape(H * f, W * f)
            if f > 1:  # box-filter the supersamples
                img = np.round(img.reshape(H, f, W, f, 3).mean((1, 3))).astype(np.uint8)
                cov = cov.reshape(H, f, W, f, 2).mean((1, 3))
                dep = dep.reshape(H, f, W, f).mean((1, 3))
            cov = cov.astype(np.float32)
            frames[i] = img[::-1]
            # majority label of the pixel's samples: background, head or torso
            lab = np.argmax(np.stack([255 - cov[..., 0] - cov[..., 1], cov[..., 0], cov[..., 1]]), 0).astype(np.uint8)
            labels[i] = lab[::-1]
            depth[i] = np.where(labels[i] > 0, -dep[::-1], np.nan)
        return frames, labels, depth

    def release(self) -> None:
        for o in (self.vao, self.vbo_static, self.vbo_dyn, self.ibo, self.fbo_ms, self.fbo_res, self.prog):
            o.release()
