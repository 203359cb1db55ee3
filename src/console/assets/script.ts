/**
 * The console's only JavaScript, served from the gateway (the CSP allows
 * 'self' scripts only). Every action is a plain form and works without it;
 * this adds the copy buttons and live updates: on each change the server
 * announces (Server-Sent Events), the page is fetched again and the parts
 * marked data-live are swapped, leaving forms and focus alone.
 */
export const js = String.raw`
'use strict'
document.addEventListener('click', (event) => {
  const button = event.target.closest('[data-copy]')
  if (button === null) return
  const source = document.getElementById(button.dataset.copy)
  if (source === null) return
  const done = (text) => { const note = document.getElementById(button.dataset.copy + '-note'); if (note) note.textContent = text }
  navigator.clipboard.writeText(source.textContent).then(() => done('Copied'), () => done('Copy failed: select the text instead'))
})

function startLive () {
  const url = document.body.dataset.liveUrl
  if (url === undefined || typeof EventSource === 'undefined') return
  const status = document.getElementById('live-status')
  let fetching = false
  let again = false
  async function refresh () {
    if (fetching) { again = true; return }
    fetching = true
    try {
      const answer = await fetch(location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin' })
      if (!answer.ok) return
      const next = new DOMParser().parseFromString(await answer.text(), 'text/html')
      for (const region of document.querySelectorAll('[data-live]')) {
        const fresh = next.getElementById(region.id)
        // A control being used (focused) is left where it is: the next change brings the region up to date.
        if (fresh !== null && fresh.innerHTML !== region.innerHTML && !region.contains(document.activeElement)) region.innerHTML = fresh.innerHTML
      }
    } finally {
      fetching = false
      if (again) { again = false; refresh() }
    }
  }
  const source = new EventSource(url)
  source.addEventListener('open', () => { status.textContent = 'Live'; status.classList.add('on') })
  source.addEventListener('error', () => { status.textContent = 'Live updates reconnecting'; status.classList.remove('on') })
  source.addEventListener('change', refresh)
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', startLive)
else startLive()
`
