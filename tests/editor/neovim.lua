-- A real editor against `tripline lsp`: Neovim 0.11 (headless) opens a failing template, gets
-- the diagnostics, asks for hover and code actions, applies the preferred quick fix the way a
-- user would, and sees the diagnostic go; then applies a suppression and sees the rest go.
-- Then a Terraform buffer gets its diagnostics too, with the README's recipe.
-- Run by .ci/editor: nvim --headless -l tests/editor/neovim.lua <tripline binary> <template> <.tf file>
local tripline, template, terraform = arg[1], arg[2], arg[3]

local function fail(msg)
  io.stderr:write('neovim: ' .. msg .. '\n')
  os.exit(1)
end

local function codes(buf)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(out, d.code)
  end
  table.sort(out)
  return table.concat(out, ',')
end

vim.lsp.config('tripline', {
  cmd = { tripline, 'lsp' },
  filetypes = { 'yaml', 'json', 'terraform', 'terraform-vars', 'tf' },
  root_markers = { 'tripline.toml', '.git' },
})
vim.lsp.enable('tripline')

vim.cmd.edit(template)
local buf = vim.api.nvim_get_current_buf()
vim.bo[buf].filetype = 'yaml'

if not vim.wait(15000, function() return #vim.diagnostic.get(buf) > 0 end, 50) then
  fail('no diagnostics within 15 s')
end
local client = vim.lsp.get_clients({ bufnr = buf, name = 'tripline' })[1]
if not client then fail('tripline is not attached') end
if client.server_info == nil or client.server_info.name ~= 'tripline' then
  fail('serverInfo missing')
end

local log001
for _, d in ipairs(vim.diagnostic.get(buf)) do
  if d.code == 'LOG001' then log001 = d end
end
if not log001 then fail('expected LOG001, got ' .. codes(buf)) end

-- Hover at the finding.
local hover = vim.lsp.buf_request_sync(buf, 'textDocument/hover', {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  position = { line = log001.lnum, character = log001.col },
}, 10000)
local value = hover and hover[client.id] and hover[client.id].result
  and hover[client.id].result.contents.value or ''
if not value:find('LOG001', 1, true) or not value:find('Fix:', 1, true) then
  fail('hover without the policy: ' .. value)
end

local function actions_at(d)
  local lsp_diag = d.user_data and d.user_data.lsp or {}
  local res = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = {
      start = { line = d.lnum, character = d.col },
      ['end'] = { line = d.end_lnum, character = d.end_col },
    },
    context = { diagnostics = { lsp_diag } },
  }, 10000)
  return res and res[client.id] and res[client.id].result or {}
end

-- The preferred quick fix sets the value.
local fix
for _, a in ipairs(actions_at(log001)) do
  if a.isPreferred then fix = a end
end
if not fix then fail('no preferred quick fix for LOG001') end
vim.lsp.util.apply_workspace_edit(fix.edit, client.offset_encoding)
if not vim.wait(15000, function() return not codes(buf):find('LOG001', 1, true) end, 50) then
  fail('LOG001 still reported after the fix: ' .. codes(buf))
end
local line = vim.api.nvim_buf_get_lines(buf, 4, 5, false)[1]
if line ~= '      IsLogging: true  # on soon' then fail('fixed line is ' .. line) end

-- A suppression comment for what remains (LOG004 on the trail).
local rest = vim.diagnostic.get(buf)[1]
if not rest then fail('expected findings besides LOG001') end
local suppress
for _, a in ipairs(actions_at(rest)) do
  if a.title:find('^Suppress') then suppress = a end
end
if not suppress then fail('no suppression action') end
vim.lsp.util.apply_workspace_edit(suppress.edit, client.offset_encoding)
local code = rest.code
if not vim.wait(15000, function() return not codes(buf):find(code, 1, true) end, 50) then
  fail(code .. ' still reported after the suppression: ' .. codes(buf))
end
-- A `.tf` buffer: the server attaches and reports the trail that does not validate its logs.
vim.cmd.edit(terraform)
local tf = vim.api.nvim_get_current_buf()
if vim.bo[tf].filetype ~= 'terraform' and vim.bo[tf].filetype ~= 'tf' then
  vim.bo[tf].filetype = 'terraform'
end
if not vim.wait(15000, function() return codes(tf):find('LOG001', 1, true) ~= nil end, 50) then
  fail('no LOG001 in the .tf buffer (filetype ' .. vim.bo[tf].filetype .. '): ' .. codes(tf))
end
io.stdout:write('neovim: diagnostics, hover, quick fix and suppression all worked, and in .tf\n')
vim.cmd('qall!')
